import { type HttpResult, json } from '../src/http/apigw.js';

/** GET /healthz: liveness only; it touches no store or provider. */
export const handler = async (): Promise<HttpResult> => json(200, { status: 'ok' });

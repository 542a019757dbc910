import { httpHandler } from '../src/edge/http.js';
import { json } from '../src/http/apigw.js';

/** GET /healthz: liveness only; it touches no store, provider or setting (it answers on a first deploy too). */
export const handler = httpHandler(async () => json(200, { status: 'ok' }));

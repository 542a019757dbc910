import type { HttpEvent, HttpResult } from '../http/apigw.js';
import type { FakeSlack } from './fake-slack.js';

/** The types the local stack's parts share (the server, its extensions, the provider sandboxes). */

export type Handler = (event: HttpEvent) => Promise<HttpResult>;

/** A route of the local stack, its handler loaded on first use. */
export type Route = { method: string; path: RegExp; key: string; load: () => Promise<Handler> };

export interface ExtensionContext {
  url: string;
  dataDir?: string | undefined;
  slack: FakeSlack;
  routes: Route[];
  /** The stack's control token: the provider sandboxes' own `/_sandbox/*` routes take it too. */
  controlToken?: string | undefined;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpEvent, HttpResult } from '../http/apigw.js';

/**
 * @slack/oauth's InstallProvider speaks Node's req/res. These two small stand-ins carry an API
 * Gateway v2 event in and collect the response (status, headers, cookies, body) out.
 */
export function toIncomingMessage(event: HttpEvent): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  return {
    url: `${event.rawPath}${query}`,
    headers,
    method: event.requestContext?.http?.method,
  } as IncomingMessage;
}

export class ResponseRecorder {
  statusCode = 200;
  private readonly headers = new Map<string, string | string[]>();
  private body = '';

  getHeader(name: string) {
    return this.headers.get(name.toLowerCase());
  }
  setHeader(name: string, value: string | string[]) {
    this.headers.set(name.toLowerCase(), value);
    return this;
  }
  writeHead(status: number, headers?: Record<string, string>) {
    this.statusCode = status;
    for (const [k, v] of Object.entries(headers ?? {})) this.setHeader(k, v);
    return this;
  }
  end(chunk?: string) {
    if (chunk) this.body += chunk;
    return this;
  }

  asResponse(): ServerResponse {
    return this as unknown as ServerResponse;
  }

  toResult(): HttpResult {
    const headers: Record<string, string> = {};
    let cookies: string[] | undefined;
    for (const [k, v] of this.headers) {
      if (k === 'set-cookie') cookies = Array.isArray(v) ? v : [v];
      else headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    return { statusCode: this.statusCode, headers, body: this.body, ...(cookies ? { cookies } : {}) };
  }
}

import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { constantTimeEqual } from '../security/signatures.js';

/**
 * The local stack's control plane (`/_sandbox/*`: what the app sent to Slack, provider state,
 * ticks, the clock, and the console's configuration, which includes the signing secret) acts
 * as Slack and as time itself. It answers only the console of the stack that was started:
 *
 * - a per-start token: random for each start (or SANDBOX_CONTROL_TOKEN, for whoever starts
 *   the stack as a child process), printed in the console link `/?token=…`. Opening that link
 *   sets it as an HttpOnly, SameSite=Strict cookie for this port and serves the console page,
 *   whose own requests then carry it; tests and scripts send it as `x-sandbox-token`;
 * - the console's origin: a request carrying an `Origin` (every cross-site fetch does) must
 *   come from this stack's own origin, and the `Host` must be this stack's loopback address
 *   (a DNS-rebound name is refused), so a web page elsewhere cannot drive the stack even
 *   from the same browser.
 *
 * Everything else answers 403. Left open, because the app itself calls them: the fake Slack
 * Web API (`/_sandbox/slack/api/*`, which checks bot tokens as Slack does), response_urls
 * (`/_sandbox/response/*`, capability URLs like Slack's), the fake authorize page a browser is
 * redirected to during an install, and the console's static files (no secrets in them).
 */

export const CONTROL_HEADER = 'x-sandbox-token';

/** Where the local stack serves a sample PDF to sign (`/wa invite sign … --url <it>`). */
export const SAMPLE_DOCUMENT_PATH = '/_sandbox/documents/contract.pdf';

/** The tokens of stacks started in this process, by origin, for test helpers. */
const tokens = new Map<string, string>();

export function controlTokenFor(url: string): string | undefined {
  return tokens.get(new URL(url).origin) ?? process.env.SANDBOX_CONTROL_TOKEN;
}

/** A provider sandbox of a stack answers its control routes to the stack's token (test helpers find it here). */
export function rememberControlToken(url: string, token: string): void {
  tokens.set(new URL(url).origin, token);
}

export function forgetControlToken(url: string): void {
  tokens.delete(new URL(url).origin);
}

export class ControlPlane {
  readonly token: string;
  readonly cookieName: string;
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;

  constructor(
    readonly url: string,
    token?: string,
  ) {
    this.token = token || randomBytes(24).toString('base64url');
    const { port, origin } = new URL(url);
    this.cookieName = `sandbox_console_${port}`;
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, new URL(url).host]);
    this.origins = new Set([...this.hosts].map((h) => `http://${h}`).concat(origin));
    tokens.set(origin, this.token);
  }

  /** The link that opens the console (and hands the browser its cookie). */
  get consoleUrl(): string {
    return `${this.url}/?token=${encodeURIComponent(this.token)}`;
  }

  forget(): void {
    tokens.delete(new URL(this.url).origin);
  }

  /** Paths under /_sandbox that the app (or a browser mid-install) uses without the token. */
  static isOpen(method: string, pathname: string): boolean {
    if (pathname.startsWith('/_sandbox/slack/api/')) return true;
    if (pathname.startsWith('/_sandbox/response/')) return true;
    if (pathname === '/_sandbox/slack/oauth/authorize') return true;
    // A sample PDF on the web, as a person would link one (`--url`, the signing form's placeholder).
    if (method === 'GET' && pathname === SAMPLE_DOCUMENT_PATH) return true;
    // The fake Slack's file host: the app downloads private files with the bot token, as from Slack.
    if (
      method === 'GET' &&
      (pathname.startsWith('/_sandbox/slack/files-pri/') || pathname === '/_sandbox/slack/signin')
    )
      return true;
    return method === 'GET' && /^\/_sandbox\/console\/[\w.-]+\.(js|css)$/.test(pathname);
  }

  /** Same host and origin as this stack: no other site, no rebound DNS name. */
  sameOrigin(req: IncomingMessage): boolean {
    const host = req.headers.host ?? '';
    if (!this.hosts.has(host)) return false;
    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.has(origin)) return false;
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  }

  presented(req: IncomingMessage): string | undefined {
    const header = req.headers[CONTROL_HEADER];
    if (typeof header === 'string') return header;
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === this.cookieName) return decodeURIComponent(v.join('='));
    }
    return undefined;
  }

  validToken(given: string | null | undefined): boolean {
    return typeof given === 'string' && given.length > 0 && constantTimeEqual(given, this.token);
  }

  allows(req: IncomingMessage): boolean {
    return this.sameOrigin(req) && this.validToken(this.presented(req));
  }

  cookie(): string {
    return `${this.cookieName}=${encodeURIComponent(this.token)}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

export const LOCKED_PAGE = `<!doctype html><meta charset="utf-8"><title>Sandbox console</title>
<h1>This console is bound to the stack that started it</h1>
<p>Open the console link printed in the terminal where the local stack started
(<code>http://127.0.0.1:PORT/?token=…</code>). Each start makes a new token, so only the person who
started the stack can act as Slack through it.</p>`;

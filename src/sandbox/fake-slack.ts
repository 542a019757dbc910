import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Journal } from './journal.js';

export const SANDBOX_TEAM = { id: 'T0SANDBOX', name: 'Sandbox Workspace', domain: 'sandbox' };
export const SANDBOX_CHANNEL = { id: 'C0SANDBOX', name: 'onboarding' };
export const SANDBOX_BOT = {
  token: 'xoxb-sandbox-T0SANDBOX',
  userId: 'U0BOT',
  botId: 'B0BOT',
  appId: 'A0SANDBOX',
};
export const SANDBOX_USERS = [
  { id: 'U0ADMIN', name: 'ada.admin', real_name: 'Ada Admin', is_admin: true, is_owner: false },
  { id: 'U0MEMBER', name: 'max.member', real_name: 'Max Member', is_admin: false, is_owner: false },
];

export interface SlackRecord {
  id: string;
  kind: string;
  ts: string;
  channel?: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  user?: string;
  view?: Record<string, unknown>;
  view_id?: string;
  type?: string;
  callback_id?: string;
  [key: string]: unknown;
}

type Params = Record<string, unknown>;

/**
 * The part of Slack's Web API the app uses, answering as Slack does ({ok, ...} or
 * {ok:false, error}), and recording every message and view for tests and the console.
 */
export class FakeSlack {
  readonly messages: Journal<SlackRecord>;
  private readonly tokens = new Map<string, { teamId: string; expiresAt?: number }>();
  private readonly refreshTokens = new Map<string, string>();
  private seq = 0;
  tokenRotation = false;
  /** Lifetime of rotated tokens; short values make InstallProvider refresh them. */
  tokenTtlSeconds = 43_200;
  refreshes = 0;

  constructor(dataDir?: string) {
    this.messages = new Journal<SlackRecord>(dataDir ? join(dataDir, 'slack-messages.jsonl') : undefined);
    this.seq = this.messages.items.length;
    this.tokens.set(SANDBOX_BOT.token, { teamId: SANDBOX_TEAM.id });
  }

  private nextTs(): string {
    this.seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq).padStart(6, '0')}`;
  }

  record(entry: Omit<SlackRecord, 'id' | 'ts'> & { ts?: string }): SlackRecord {
    const ts = entry.ts ?? this.nextTs();
    this.seq += 1;
    // Ids are unique even when chat.update reuses a message's ts.
    return this.messages.push({ ...entry, id: `m${String(this.seq).padStart(6, '0')}`, ts } as SlackRecord);
  }

  /** Issues a bot token for a team, as oauth.v2.access would. */
  issueToken(teamId: string): { token: string; refreshToken?: string; expiresIn?: number } {
    const token = `xoxb-${teamId}-${randomBytes(8).toString('hex')}`;
    if (!this.tokenRotation) {
      this.tokens.set(token, { teamId });
      return { token };
    }
    const expiresIn = this.tokenTtlSeconds;
    this.tokens.set(token, { teamId, expiresAt: Date.now() + expiresIn * 1000 });
    const refreshToken = `xoxe-1-${randomBytes(8).toString('hex')}`;
    this.refreshTokens.set(refreshToken, teamId);
    return { token, refreshToken, expiresIn };
  }

  call(method: string, params: Params, authorization: string | undefined): Record<string, unknown> {
    if (method === 'oauth.v2.access') return this.oauthAccess(params);
    const token = authorization?.replace(/^Bearer\s+/i, '') ?? (params.token as string | undefined);
    const auth = token ? this.tokens.get(token) : undefined;
    if (!auth) return { ok: false, error: token ? 'invalid_auth' : 'not_authed' };
    if (auth.expiresAt && auth.expiresAt < Date.now()) return { ok: false, error: 'token_expired' };
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          team_id: auth.teamId,
          team: SANDBOX_TEAM.name,
          user_id: SANDBOX_BOT.userId,
          bot_id: SANDBOX_BOT.botId,
          url: 'https://sandbox.slack.local/',
        };
      case 'users.info': {
        const user = SANDBOX_USERS.find((u) => u.id === params.user);
        return user
          ? { ok: true, user: { ...user, team_id: auth.teamId } }
          : { ok: false, error: 'user_not_found' };
      }
      case 'chat.postMessage': {
        if (!params.channel) return { ok: false, error: 'channel_not_found' };
        if (!params.text && !params.blocks) return { ok: false, error: 'no_text' };
        const rec = this.record({ kind: method, ...pick(params, MESSAGE_FIELDS) });
        return {
          ok: true,
          channel: rec.channel,
          ts: rec.ts,
          message: { text: rec.text, blocks: rec.blocks, ts: rec.ts },
        };
      }
      case 'chat.update': {
        if (!params.channel || !params.ts) return { ok: false, error: 'message_not_found' };
        const original = this.messages.items.find(
          (m) => m.kind === 'chat.postMessage' && m.channel === params.channel && m.ts === params.ts,
        );
        if (!original) return { ok: false, error: 'message_not_found' };
        this.record({ kind: method, ...pick(params, MESSAGE_FIELDS), ts: params.ts as string });
        return { ok: true, channel: params.channel, ts: params.ts };
      }
      case 'chat.postEphemeral': {
        if (!params.channel || !params.user) return { ok: false, error: 'user_not_in_channel' };
        const rec = this.record({ kind: method, ...pick(params, [...MESSAGE_FIELDS, 'user']) });
        return { ok: true, message_ts: rec.ts };
      }
      case 'views.open':
      case 'views.push':
      case 'views.update': {
        const view = params.view as Record<string, unknown> | undefined;
        if (!view) return { ok: false, error: 'invalid_arguments' };
        if (method !== 'views.update' && !params.trigger_id)
          return { ok: false, error: 'invalid_trigger_id' };
        const viewId =
          method === 'views.update'
            ? (params.view_id as string)
            : `V${randomBytes(5).toString('hex').toUpperCase()}`;
        if (!viewId) return { ok: false, error: 'not_found' };
        this.record({
          kind: method,
          view,
          view_id: viewId,
          type: view.type as string,
          callback_id: view.callback_id as string,
          blocks: view.blocks as unknown[],
        });
        return { ok: true, view: { ...view, id: viewId, team_id: auth.teamId } };
      }
      case 'views.publish':
        this.record({
          kind: method,
          user: params.user_id as string,
          view: params.view as Record<string, unknown>,
        });
        return { ok: true };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private oauthAccess(params: Params): Record<string, unknown> {
    let teamId: string | undefined;
    if (params.grant_type === 'refresh_token') {
      teamId = this.refreshTokens.get(params.refresh_token as string);
      if (!teamId) return { ok: false, error: 'invalid_refresh_token' };
      this.refreshTokens.delete(params.refresh_token as string);
      this.refreshes += 1;
    } else {
      const code = String(params.code ?? '');
      teamId = code.startsWith('sandbox-code-') ? code.slice('sandbox-code-'.length) : undefined;
      if (!teamId) return { ok: false, error: 'invalid_code' };
    }
    const issued = this.issueToken(teamId);
    return {
      ok: true,
      app_id: SANDBOX_BOT.appId,
      authed_user: { id: 'U0ADMIN' },
      scope: 'commands,chat:write,chat:write.public,users:read',
      token_type: 'bot',
      access_token: issued.token,
      ...(issued.refreshToken ? { refresh_token: issued.refreshToken, expires_in: issued.expiresIn } : {}),
      bot_user_id: SANDBOX_BOT.userId,
      team: { id: teamId, name: `Workspace ${teamId}` },
      enterprise: null,
      is_enterprise_install: false,
    };
  }
}

const MESSAGE_FIELDS = ['channel', 'text', 'blocks', 'thread_ts', 'attachments', 'reply_broadcast'];

function pick(params: Params, fields: string[]): Params {
  const out: Params = {};
  for (const f of fields) if (params[f] !== undefined) out[f] = params[f];
  return out;
}

/** Web API arguments arrive form-encoded with nested values as JSON strings, or as JSON. */
export function parseWebApiBody(body: string, contentType = ''): Params {
  let params: Params;
  if (contentType.includes('application/json')) params = body ? JSON.parse(body) : {};
  else params = Object.fromEntries(new URLSearchParams(body));
  for (const key of ['blocks', 'view', 'attachments']) {
    if (typeof params[key] === 'string') {
      try {
        params[key] = JSON.parse(params[key] as string);
      } catch {
        // Slack would reject it; keeping the raw string shows the test what was sent.
      }
    }
  }
  return params;
}

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clock } from '../clock.js';
import { Journal } from './journal.js';
import { blockErrors, commandText, viewErrors } from './slack-rules.js';

/*
 * The fake Slack Web API follows Slack's documents, not our client (shared/slack-platform.md):
 * - chat.update keeps the message's blocks when `blocks` is omitted and removes them with
 *   `blocks: []` (https://api.slack.com/methods/chat.update; the fake keeps them on a text-only
 *   update too, as users report Slack doing, so a test sees a stale card); `text` over 4,000
 *   characters is `msg_too_long`; only messages the bot posted can be updated, never an ephemeral
 *   one (https://api.slack.com/messaging/modifying: `message_not_found`, as users report it).
 * - Block Kit limits (slack-rules.ts): `invalid_blocks` for messages, `invalid_arguments` for views.
 * - trigger_id: single use, 3 seconds (https://api.slack.com/interactivity/handling,
 *   https://api.slack.com/methods/views.open: expired_trigger_id, exchanged_trigger_id,
 *   invalid_trigger_id). The fake only accepts trigger ids it issued (issueTriggerId).
 * - response_url: 5 posts within 30 minutes (https://api.slack.com/interactivity/handling);
 *   UNCONFIRMED(slack.response-url-exhausted): what Slack answers beyond that; the fake answers 404.
 * - Slash-command text escaped as the manifest's should_escape says (slack-rules.ts commandText).
 */

/**
 * Slack's 3 seconds, on the stack's clock. SANDBOX_TRIGGER_TTL_MS lengthens it where wall time is
 * not ours (the shared test machine: vitest.config.ts); the rule itself is tested at 3 s.
 */
let triggerTtlMs = Number(process.env.SANDBOX_TRIGGER_TTL_MS) || 3_000;
export function setTriggerTtl(ms: number): void {
  triggerTtlMs = ms;
}
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_USES = 5;

/**
 * Trigger ids and response_urls Slack handed out, shared by every fake Slack in the process
 * (tests and the console obtain them here, as the real Slack would put them in a payload).
 */
const triggers = new Map<string, { issuedAt: number; used: boolean }>();
const responseUrls = new Map<string, { issuedAt: number; uses: number }>();
let issued = 0;

/** A trigger_id as Slack puts it in a command or interaction payload: valid 3 s, once. */
export function issueTriggerId(now = clock.now()): string {
  issued += 1;
  const id = `${Math.floor(now / 1000)}.${issued}.${randomBytes(8).toString('hex')}`;
  triggers.set(id, { issuedAt: now, used: false });
  return id;
}

/** A response_url as Slack puts it in a payload, served by the local stack at /_sandbox/response/{id}. */
export function issueResponseUrl(
  baseUrl: string,
  id = randomBytes(12).toString('hex'),
  now = clock.now(),
): string {
  responseUrls.set(id, { issuedAt: now, uses: 0 });
  return `${baseUrl}/_sandbox/response/${id}`;
}

const manifest = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../slack/manifest.json', import.meta.url), 'utf8')) as {
      features?: {
        slash_commands?: Array<{ should_escape?: boolean }>;
        shortcuts?: Array<{
          name: string;
          type: 'global' | 'message';
          callback_id: string;
          description?: string;
        }>;
      };
    };
  } catch {
    return {};
  }
})();

export const SANDBOX_TEAM = { id: 'T0SANDBOX', name: 'Sandbox Workspace', domain: 'sandbox' };
export const SANDBOX_CHANNEL = { id: 'C0SANDBOX', name: 'onboarding' };
export const SANDBOX_CHANNELS = [SANDBOX_CHANNEL, { id: 'C0GENERAL', name: 'general' }];
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

/** A member of the workspace as users.info describes one (https://api.slack.com/types/user). */
export interface SandboxUser {
  id: string;
  name: string;
  real_name?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  /** Multi-channel guest; a single-channel guest has is_ultra_restricted too. */
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_bot?: boolean;
  /** Deactivated: users.info still answers, with `deleted: true`. */
  deleted?: boolean;
}

/**
 * Everyone users.info knows in the sandbox workspace: the console's two people, and accounts that
 * are never admins whatever an allowlist says (guests, the app's bot user, a deactivated account).
 */
export const SANDBOX_DIRECTORY: readonly SandboxUser[] = [
  ...SANDBOX_USERS,
  { id: 'U0GUEST', name: 'gus.guest', real_name: 'Gus Guest', is_restricted: true },
  {
    id: 'U0SCGUEST',
    name: 'sam.singlechannel',
    real_name: 'Sam Single',
    is_restricted: true,
    is_ultra_restricted: true,
  },
  { id: SANDBOX_BOT.userId, name: 'wa-onboarding', real_name: 'WA onboarding', is_bot: true },
  { id: 'U0GONE', name: 'dee.deactivated', real_name: 'Dee Deactivated', deleted: true },
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

/** A file as Slack's files.info describes it (api.slack.com/types/file), plus the bytes the fake serves. */
export interface FakeFile {
  id: string;
  created: number;
  timestamp: number;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  pretty_type: string;
  user: string;
  user_team: string;
  editable: boolean;
  size: number;
  mode: 'hosted';
  is_external: boolean;
  external_type: string;
  is_public: boolean;
  public_url_shared: boolean;
  display_as_bot: boolean;
  url_private: string;
  url_private_download: string;
  permalink: string;
  channels: string[];
  groups: string[];
  ims: string[];
  comments_count: number;
}

/** Channels the sandbox bot is a member of: it sees files shared there and nowhere else. */
const BOT_CHANNELS = new Set(['C0SANDBOX']);

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
  /** Files people shared, by id, with their bytes; and the user messages that carry them. */
  private readonly files = new Map<string, { file: FakeFile; bytes: Buffer }>();
  private readonly userMessages = new Map<
    string,
    { channel: string; user: string; text: string; ts: string; files: string[] }
  >();
  /** Where the local stack serves this fake (set once it listens), for file URLs. */
  baseUrl = 'http://127.0.0.1';
  /** The manifest's `should_escape` for /wa: how Slack escapes the command text it sends. */
  readonly shouldEscape = manifest.features?.slash_commands?.[0]?.should_escape === true;
  /** The manifest's shortcuts: the console offers them where Slack does (⚡ menu, a message's ⋯ menu). */
  readonly shortcuts = (manifest.features?.shortcuts ?? []).map((s) => ({
    name: s.name,
    type: s.type,
    callbackId: s.callback_id,
    description: s.description ?? '',
  }));
  /** Each message as it is now (after updates), by channel and ts; ephemeral ones are not here. */
  private readonly current_ = new Map<
    string,
    { channel: string; ts: string; text?: string; blocks?: unknown[] }
  >();

  /** The workspace's people as users.info answers them; a test may promote, demote or deactivate one. */
  readonly users: SandboxUser[] = SANDBOX_DIRECTORY.map((u) => ({ ...u }));

  /** The Home tab last published for each person (views.publish), by user id. */
  private readonly homeViews = new Map<string, Record<string, unknown>>();

  constructor(dataDir?: string) {
    this.messages = new Journal<SlackRecord>(dataDir ? join(dataDir, 'slack-messages.jsonl') : undefined);
    this.seq = this.messages.items.length;
    this.tokens.set(SANDBOX_BOT.token, { teamId: SANDBOX_TEAM.id });
    for (const m of this.messages.items) {
      if (m.kind === 'views.publish' && m.user && m.view) this.homeViews.set(m.user, m.view);
      if ((m.kind === 'chat.postMessage' || m.kind === 'chat.update') && m.channel) {
        this.current_.set(`${m.channel}/${m.ts}`, {
          channel: m.channel,
          ts: m.ts,
          text: m.text,
          blocks: m.blocks,
        });
      }
    }
  }

  /**
   * The Events API body Slack posts when a person opens the app's Home tab
   * (api.slack.com/events/app_home_opened): an `event_callback` carrying the event, with the
   * view last published for that person once there is one. The console signs and posts it to
   * /slack/events as JSON, as Slack does.
   */
  homeOpenedEvent(user: string, tab: 'home' | 'messages' = 'home'): Record<string, unknown> {
    const now = clock.now() / 1000;
    const view = this.homeViews.get(user);
    return {
      token: 'legacy-token',
      team_id: SANDBOX_TEAM.id,
      api_app_id: SANDBOX_BOT.appId,
      type: 'event_callback',
      event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      event_time: Math.floor(now),
      event: {
        type: 'app_home_opened',
        user,
        channel: `D0${user.slice(2)}`,
        tab,
        event_ts: now.toFixed(6),
        ...(view ? { view } : {}),
      },
      authorizations: [
        {
          enterprise_id: null,
          team_id: SANDBOX_TEAM.id,
          user_id: SANDBOX_BOT.userId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
  }

  /**
   * What people posted (a file shared with a message), oldest first, as the console shows them:
   * each with its files' names, types and permalinks ("Copy link to file").
   */
  userMessageList() {
    return [...this.userMessages.values()].map((m) => ({
      ts: m.ts,
      channel: m.channel,
      user: m.user,
      text: m.text,
      files: m.files.flatMap((id) => {
        const f = this.files.get(id)?.file;
        return f
          ? [{ id: f.id, name: f.name, filetype: f.filetype, size: f.size, permalink: f.permalink }]
          : [];
      }),
    }));
  }

  /** A message as Slack shows it now, or undefined (never an ephemeral one). */
  current(channel: string, ts: string) {
    return this.current_.get(`${channel}/${ts}`);
  }

  /** What Slack sends as a slash command's `text` for what the person typed. */
  commandText(typed: string): string {
    return commandText(typed, this.shouldEscape, {
      users: SANDBOX_USERS,
      channels: SANDBOX_CHANNELS,
    });
  }

  /**
   * A POST to a response_url: recorded like a message when the URL is one Slack issued, used
   * fewer than 5 times and younger than 30 minutes.
   */
  respond(id: string, payload: Record<string, unknown>): { status: number; body: string } {
    const url = responseUrls.get(id);
    if (!url) return { status: 404, body: 'invalid_url' };
    if (clock.now() - url.issuedAt > RESPONSE_URL_TTL_MS) return { status: 404, body: 'expired_url' };
    if (url.uses >= RESPONSE_URL_USES) return { status: 404, body: 'used_url' };
    const blocks = payload.blocks;
    if (blocks !== undefined) {
      const errors = blockErrors(blocks);
      if (errors.length) return { status: 400, body: `invalid_blocks: ${errors.join('; ')}` };
    }
    url.uses += 1;
    const { id: _id, ts: _ts, kind: _kind, ...message } = payload;
    this.record({ ...message, kind: 'response_url', responseUrlId: id });
    return { status: 200, body: 'ok' };
  }

  private useTrigger(id: unknown): string | undefined {
    const t = typeof id === 'string' ? triggers.get(id) : undefined;
    if (!t) return 'invalid_trigger_id';
    if (t.used) return 'exchanged_trigger_id';
    if (clock.now() - t.issuedAt > triggerTtlMs) return 'expired_trigger_id';
    t.used = true;
    return undefined;
  }

  private nextTs(): string {
    this.seq += 1;
    return `${Math.floor(clock.now() / 1000)}.${String(this.seq).padStart(6, '0')}`;
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
        const user = this.users.find((u) => u.id === params.user);
        return user
          ? { ok: true, user: { ...user, team_id: auth.teamId } }
          : { ok: false, error: 'user_not_found' };
      }
      case 'chat.postMessage': {
        if (!params.channel) return { ok: false, error: 'channel_not_found' };
        if (!params.text && !params.blocks) return { ok: false, error: 'no_text' };
        const bad = messageErrors(params, 40_000);
        if (bad) return bad;
        const rec = this.record({ kind: method, ...pick(params, MESSAGE_FIELDS) });
        this.current_.set(`${rec.channel}/${rec.ts}`, {
          channel: rec.channel as string,
          ts: rec.ts,
          text: rec.text,
          blocks: rec.blocks,
        });
        return {
          ok: true,
          channel: rec.channel,
          ts: rec.ts,
          message: { text: rec.text, blocks: rec.blocks, ts: rec.ts },
        };
      }
      case 'chat.update': {
        if (!params.channel || !params.ts) return { ok: false, error: 'message_not_found' };
        const original = this.current_.get(`${params.channel}/${params.ts}`);
        if (!original) return { ok: false, error: 'message_not_found' };
        if (params.text === undefined && params.blocks === undefined) return { ok: false, error: 'no_text' };
        const bad = messageErrors(params, 4_000);
        if (bad) return bad;
        // Omitted blocks are kept (a text-only update leaves the old card on screen).
        const now = {
          ...original,
          ...(params.text !== undefined ? { text: params.text as string } : {}),
          ...(params.blocks !== undefined ? { blocks: params.blocks as unknown[] } : {}),
        };
        this.current_.set(`${params.channel}/${params.ts}`, now);
        this.record({
          kind: method,
          ...pick(params, MESSAGE_FIELDS),
          text: now.text,
          blocks: now.blocks,
          ...(params.blocks === undefined ? { blocksKept: true } : {}),
          ts: params.ts as string,
        });
        return { ok: true, channel: params.channel, ts: params.ts, text: now.text, message: { ...now } };
      }
      case 'chat.postEphemeral': {
        if (!params.channel || !params.user) return { ok: false, error: 'user_not_in_channel' };
        if (!params.text && !params.blocks) return { ok: false, error: 'no_text' };
        const bad = messageErrors(params, 40_000);
        if (bad) return bad;
        const rec = this.record({ kind: method, ...pick(params, [...MESSAGE_FIELDS, 'user']) });
        return { ok: true, message_ts: rec.ts };
      }
      case 'chat.getPermalink': {
        const found = this.current_.get(`${params.channel}/${params.message_ts}`);
        if (!found) return { ok: false, error: 'message_not_found' };
        return {
          ok: true,
          channel: params.channel,
          permalink: `https://${SANDBOX_TEAM.domain}.slack.com/archives/${params.channel}/p${String(params.message_ts).replace('.', '')}`,
        };
      }
      case 'views.open':
      case 'views.push':
      case 'views.update': {
        const view = params.view as Record<string, unknown> | undefined;
        if (!view) return { ok: false, error: 'invalid_arguments' };
        if (method !== 'views.update') {
          const refused = this.useTrigger(params.trigger_id);
          if (refused) return { ok: false, error: refused };
        }
        const errors = viewErrors(view);
        if (errors.length) {
          return { ok: false, error: 'invalid_arguments', response_metadata: { messages: errors } };
        }
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
      case 'files.info': {
        // api.slack.com/methods/files.info: `file_not_found` also when the bot cannot see it.
        const entry = this.files.get(String(params.file ?? ''));
        if (!entry || entry.file.user_team !== auth.teamId || !this.botSees(entry.file)) {
          return { ok: false, error: 'file_not_found' };
        }
        return { ok: true, file: entry.file, comments: [], response_metadata: { next_cursor: '' } };
      }
      case 'views.publish': {
        const errors = viewErrors(params.view);
        if (errors.length) {
          return { ok: false, error: 'invalid_arguments', response_metadata: { messages: errors } };
        }
        const user = params.user_id as string;
        if (typeof user !== 'string' || !user) return { ok: false, error: 'invalid_arguments' };
        // Slack answers with the published view, its id and hash (api.slack.com/methods/views.publish).
        // UNCONFIRMED(slack.home-view-id): whether the id stays the same across publishes for one person; kept stable.
        const viewId = this.homeViews.get(user)?.id ?? `V${randomBytes(5).toString('hex').toUpperCase()}`;
        const published = {
          ...(params.view as Record<string, unknown>),
          id: viewId,
          team_id: auth.teamId,
          hash: `${Math.floor(clock.now() / 1000)}.${randomBytes(4).toString('hex')}`,
        };
        this.homeViews.set(user, published);
        this.record({ kind: method, user, view: published, view_id: viewId });
        return { ok: true, view: published };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private botSees(file: FakeFile): boolean {
    return [...file.channels, ...file.groups].some((c) => BOT_CHANNELS.has(c));
  }

  /**
   * A person shares a file in a channel with a message, as the Slack client does: the file gets
   * Slack's URLs (private ones need the bot token) and the message carries it in `files`.
   */
  shareFile(init: {
    name: string;
    bytes: Buffer;
    mimetype?: string;
    filetype?: string;
    channel?: string;
    user?: string;
    text?: string;
  }): { file: FakeFile; messageTs: string; channel: string } {
    const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
    const channel = init.channel ?? SANDBOX_CHANNEL.id;
    const user = init.user ?? 'U0ADMIN';
    const now = Math.floor(Date.now() / 1000);
    const safeName = encodeURIComponent(init.name);
    const filetype = init.filetype ?? (init.name.toLowerCase().endsWith('.pdf') ? 'pdf' : 'binary');
    const file: FakeFile = {
      id,
      created: now,
      timestamp: now,
      name: init.name,
      title: init.name,
      mimetype: init.mimetype ?? (filetype === 'pdf' ? 'application/pdf' : 'application/octet-stream'),
      filetype,
      pretty_type: filetype === 'pdf' ? 'PDF' : 'Binary',
      user,
      user_team: SANDBOX_TEAM.id,
      editable: false,
      size: init.bytes.length,
      mode: 'hosted',
      is_external: false,
      external_type: '',
      is_public: channel.startsWith('C'),
      public_url_shared: false,
      display_as_bot: false,
      url_private: `${this.baseUrl}/_sandbox/slack/files-pri/${SANDBOX_TEAM.id}-${id}/${safeName}`,
      url_private_download: `${this.baseUrl}/_sandbox/slack/files-pri/${SANDBOX_TEAM.id}-${id}/download/${safeName}`,
      permalink: `https://${SANDBOX_TEAM.domain}.slack.com/files/${user}/${id}/${safeName}`,
      channels: channel.startsWith('C') ? [channel] : [],
      groups: channel.startsWith('G') ? [channel] : [],
      ims: channel.startsWith('D') ? [channel] : [],
      comments_count: 0,
    };
    this.files.set(id, { file, bytes: init.bytes });
    const ts = this.nextTs();
    this.userMessages.set(ts, { channel, user, text: init.text ?? '', ts, files: [id] });
    return { file, messageTs: ts, channel };
  }

  /**
   * GET of a private file URL: Slack serves the bytes only with `Authorization: Bearer <token>`
   * of the file's workspace (api.slack.com/types/file#authentication); without it the answer is
   * a redirect to the sign-in page, not an error status.
   */
  download(
    path: string,
    authorization: string | undefined,
  ): { status: number; headers: Record<string, string>; body: Buffer } {
    const m = /^\/_sandbox\/slack\/files-pri\/([A-Z0-9]+)-(F[A-Z0-9]+)\//.exec(path);
    const entry = m ? this.files.get(m[2] as string) : undefined;
    const token = authorization?.replace(/^Bearer\s+/i, '');
    const auth = token ? this.tokens.get(token) : undefined;
    if (!auth || (auth.expiresAt && auth.expiresAt < Date.now())) {
      return { status: 302, headers: { location: '/_sandbox/slack/signin' }, body: Buffer.alloc(0) };
    }
    if (
      !entry ||
      entry.file.user_team !== auth.teamId ||
      m?.[1] !== auth.teamId ||
      !this.botSees(entry.file)
    ) {
      return {
        status: 404,
        headers: { 'content-type': 'text/html' },
        body: Buffer.from('<html>File not found</html>'),
      };
    }
    return {
      status: 200,
      headers: { 'content-type': entry.file.mimetype, 'content-length': String(entry.bytes.length) },
      body: entry.bytes,
    };
  }

  /**
   * The payload Slack posts when a person runs a message shortcut on a message
   * (api.slack.com/reference/interaction-payloads/shortcuts, type `message_action`).
   */
  messageShortcut(init: {
    callbackId: string;
    messageTs: string;
    user?: string;
    responseUrl?: string;
  }): Record<string, unknown> {
    const msg = this.userMessages.get(init.messageTs);
    if (!msg) throw new Error(`no user message ${init.messageTs}`);
    const user = SANDBOX_USERS.find((u) => u.id === (init.user ?? 'U0ADMIN')) ?? SANDBOX_USERS[0];
    return {
      type: 'message_action',
      token: 'legacy-token',
      action_ts: `${Date.now() / 1000}`,
      team: { id: SANDBOX_TEAM.id, domain: SANDBOX_TEAM.domain },
      user: { id: user?.id, username: user?.name, name: user?.name, team_id: SANDBOX_TEAM.id },
      channel: {
        id: msg.channel,
        name: msg.channel === SANDBOX_CHANNEL.id ? SANDBOX_CHANNEL.name : 'private',
      },
      is_enterprise_install: false,
      enterprise: null,
      callback_id: init.callbackId,
      // Issued like every trigger id and response_url Slack hands out, so the app can use them.
      trigger_id: issueTriggerId(),
      response_url: init.responseUrl ?? issueResponseUrl(this.baseUrl),
      message_ts: msg.ts,
      message: {
        type: 'message',
        user: msg.user,
        ts: msg.ts,
        text: msg.text,
        upload: true,
        files: msg.files.map((id) => this.files.get(id)?.file).filter(Boolean),
      },
    };
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
      scope: 'commands,chat:write,chat:write.public,users:read,files:read',
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

/** Slack's answer to a message whose text or blocks break its limits, or undefined. */
function messageErrors(params: Params, maxText: number): Record<string, unknown> | undefined {
  if (typeof params.text === 'string' && params.text.length > maxText)
    return { ok: false, error: 'msg_too_long' };
  if (params.blocks === undefined) return undefined;
  if (typeof params.blocks === 'string') return { ok: false, error: 'invalid_blocks_format' };
  const errors = blockErrors(params.blocks);
  return errors.length
    ? { ok: false, error: 'invalid_blocks', errors, response_metadata: { messages: errors } }
    : undefined;
}

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

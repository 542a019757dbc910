import type { WebClient } from '@slack/web-api';
import { clock } from '../clock.js';
import { logger } from '../log.js';
import { getAccessSettings, RESTRICTABLE, type SettingsItem } from '../security/access.js';
import { audit } from '../security/audit.js';
import type { TenantId } from '../store/keys.js';
import type { Access, CommandContext, CommandSpec, Reply } from './command.js';

const TTL_MS = 60_000;

interface SlackUserFacts {
  admin: boolean;
  /** Guests, deactivated accounts and bots are never admins, allowlisted or not. */
  eligible: boolean;
}

const cache = new Map<string, { facts: SlackUserFacts; until: number }>();

/** users.info, cached briefly so a burst of commands costs one call. */
async function userFacts(client: WebClient, tenant: string, userId: string, now: number) {
  const key = `${tenant}:${userId}`;
  const hit = cache.get(key);
  if (hit && hit.until > now) return hit.facts;
  let facts: SlackUserFacts;
  try {
    const res = await client.users.info({ user: userId });
    const u = res.user;
    facts = {
      admin: Boolean(u?.is_admin || u?.is_owner || u?.is_primary_owner),
      eligible: Boolean(u && !u.deleted && !u.is_bot && !u.is_restricted && !u.is_ultra_restricted),
    };
  } catch (err) {
    // A user Slack does not know (another org, deleted) is nobody's admin; other failures are ours.
    if ((err as { data?: { error?: string } }).data?.error !== 'user_not_found') throw err;
    facts = { admin: false, eligible: false };
  }
  cache.set(key, { facts, until: now + TTL_MS });
  return facts;
}

/** Workspace admins and owners, from users.info. */
export async function isWorkspaceAdmin(client: WebClient, tenant: string, userId: string, now = clock.now()) {
  return (await userFacts(client, tenant, userId, now)).admin;
}

/** Whether Slack knows the user as a full member (not a guest, bot or deactivated account). */
export async function isEligibleUser(client: WebClient, tenant: string, userId: string, now = clock.now()) {
  return (await userFacts(client, tenant, userId, now)).eligible;
}

/**
 * Who may run admin commands: workspace admins/owners, and full members an admin has
 * allowlisted (`/wa admins add`). The allowlist is read fresh (one GetItem), so a removal
 * takes effect at once in every Lambda container.
 */
export async function isAdmin(client: WebClient, tenant: TenantId, userId: string, now = clock.now()) {
  const facts = await userFacts(client, tenant, userId, now);
  if (facts.admin) return true;
  if (!facts.eligible) return false;
  return (await getAccessSettings(tenant)).admins.includes(userId);
}

/** Whether running the command may need admin rights: admin commands and restrictable ones. */
export function mayNeedAdmin(spec: Pick<CommandSpec, 'path' | 'access' | 'restrict'>): boolean {
  return spec.access === 'admin' || spec.restrict !== undefined;
}

/**
 * The access a command needs in this workspace: its spec's, raised to admin when an admin has
 * restricted its group (`/wa admins restrict invites on`). Only restrictable commands read the
 * settings item (through `settings` when given: the command's one read of it); if it cannot be
 * read, the command is treated as restricted (fail closed).
 */
export async function requiredAccess(
  spec: Pick<CommandSpec, 'path' | 'access' | 'restrict'>,
  tenant: TenantId,
  settings?: () => Promise<SettingsItem>,
): Promise<Access> {
  if (spec.access === 'admin') return 'admin';
  const group = spec.restrict;
  if (!group) return 'member';
  try {
    return (await getAccessSettings(tenant, settings?.())).restricted.includes(group) ? 'admin' : 'member';
  } catch (err) {
    logger.warn('could not read access settings; treating the command as admin-only', {
      error: err as Error,
    });
    return 'admin';
  }
}

/** "workspace admins/owners and <@U1>, <@U2>". */
export async function whoCan(tenant: TenantId): Promise<string> {
  let admins: string[];
  try {
    admins = (await getAccessSettings(tenant)).admins;
  } catch (err) {
    logger.warn('could not read the admin allowlist', { error: err as Error });
    return 'workspace admins and owners, and people an admin has allowlisted';
  }
  return admins.length === 0
    ? 'workspace admins and owners (nobody else is on this app’s admin list yet: a workspace admin or owner can add people with `/wa admins add @user`)'
    : `workspace admins/owners and ${admins.map((u) => `<@${u}>`).join(', ')}`;
}

/** The refusal of an admin command, naming who can run it; the refusal is audited. */
export async function refusal(
  spec: Pick<CommandSpec, 'path' | 'restrict'>,
  ctx: CommandContext,
): Promise<Reply> {
  const group = spec.restrict;
  const why = group
    ? ` An admin has restricted ${RESTRICTABLE[group].label} to admins in this workspace.`
    : '';
  try {
    await audit(ctx.tenant, {
      actor: ctx.userId,
      action: 'command.refused',
      target: `/wa ${spec.path}`,
      outcome: 'refused',
      detail: 'not an admin',
    });
  } catch (err) {
    logger.warn('could not audit a refusal', { error: err as Error });
  }
  return {
    response_type: 'ephemeral',
    text: `:no_entry: \`/wa ${spec.path}\` is for ${await whoCan(ctx.tenant)}.${why} Ask one of them to run it.`,
  };
}

export function clearAdminCache(): void {
  cache.clear();
}

import type { KnownBlock, View } from '@slack/types';
import { logger } from '../log.js';
import { getAccessSettings, groupOfPath, type RestrictableGroup } from '../security/access.js';
import type { CommandContext, Reply } from './command.js';
import { commands } from './commands.js';
import { formFor } from './forms.js';

/**
 * The launcher: `/wa` alone, the global shortcut "WhatsApp onboarding" and App Home list the
 * actions this person may take here, grouped. Admin-only actions are shown only to admins, and
 * groups an admin restricted (`/wa admins restrict`) only to admins too. Being shown a button
 * is no licence: each form and button checks again through the service layer.
 */

export interface LauncherEntry {
  /** The command path; for forms also the form's path. */
  path: string;
  label: string;
  /** `form:open` opens the action's form; the others are handled by the launcher itself. */
  action: 'form:open' | 'form:connect' | 'form:audit' | 'form:jobs';
  /** Shown on App Home as a common action. */
  common?: boolean;
}

export const LAUNCHER_GROUPS: Array<{ name: string; entries: LauncherEntry[] }> = [
  {
    name: 'Invites',
    entries: [
      { path: 'invite sign', label: 'Send a signing invite', action: 'form:open', common: true },
      { path: 'invite partner', label: 'Create a partner invitation', action: 'form:open', common: true },
    ],
  },
  {
    name: 'Templates',
    entries: [{ path: 'template send', label: 'Send a template', action: 'form:open', common: true }],
  },
  {
    name: 'Contacts',
    entries: [
      { path: 'contact optin', label: 'Record an opt-in', action: 'form:open', common: true },
      { path: 'contact verify', label: 'Verify contacts', action: 'form:open' },
    ],
  },
  {
    name: 'Deployments',
    entries: [
      { path: 'deploy start', label: 'Start a deployment', action: 'form:open' },
      { path: 'deploy profile', label: 'Business profile', action: 'form:open' },
      { path: 'deploy photo', label: 'Profile photo', action: 'form:open' },
    ],
  },
  {
    name: 'Admin',
    entries: [
      { path: 'connect', label: 'Provider credentials', action: 'form:connect' },
      { path: 'audit', label: 'Audit trail', action: 'form:audit' },
    ],
  },
];

/** The entries this person may use here, by group (empty groups left out). */
export async function visibleGroups(ctx: Pick<CommandContext, 'tenant' | 'isAdmin'>) {
  let restricted: RestrictableGroup[] | 'unknown';
  try {
    restricted = (await getAccessSettings(ctx.tenant)).restricted;
  } catch (err) {
    logger.warn('could not read access settings; showing member actions as admin-only', {
      error: err as Error,
    });
    restricted = 'unknown'; // fail closed, as requiredAccess does
  }
  let admin: boolean | undefined;
  const out: Array<{ name: string; entries: LauncherEntry[] }> = [];
  for (const group of LAUNCHER_GROUPS) {
    const entries: LauncherEntry[] = [];
    for (const entry of group.entries) {
      const spec = commands.find((c) => c.path === entry.path);
      if (!spec?.handler) continue;
      const g = groupOfPath(spec.path);
      const needsAdmin =
        spec.access === 'admin' || (g !== undefined && (restricted === 'unknown' || restricted.includes(g)));
      if (needsAdmin) {
        admin ??= await ctx.isAdmin();
        if (!admin) continue;
      }
      entries.push(entry);
    }
    if (entries.length) out.push({ name: group.name, entries });
  }
  return out;
}

function button(entry: LauncherEntry) {
  return {
    type: 'button' as const,
    action_id: `${entry.action}:${entry.path.replace(/ /g, '-')}`,
    text: { type: 'plain_text' as const, text: entry.label },
    value: entry.path,
  };
}

export async function launcherView(ctx: CommandContext, channel?: string): Promise<View> {
  const groups = await visibleGroups(ctx);
  const blocks: KnownBlock[] = [];
  for (const g of groups) {
    blocks.push({
      type: 'section',
      block_id: `group_${g.name.toLowerCase()}`,
      text: { type: 'mrkdwn', text: `*${g.name}*` },
    });
    blocks.push({
      type: 'actions',
      block_id: `actions_${g.name.toLowerCase()}`,
      elements: g.entries.map(button),
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Every action is also a command: \`/wa help\` lists them. ${groups.length === 0 ? 'No actions are open to you here.' : ''}`,
      },
    ],
  });
  return {
    type: 'modal',
    callback_id: 'form:launcher',
    private_metadata: JSON.stringify(channel ? { c: channel } : {}),
    title: { type: 'plain_text', text: 'WhatsApp onboarding' },
    close: { type: 'plain_text', text: 'Close' },
    blocks,
  };
}

/** `/wa` alone. */
export async function openLauncherFromCommand(ctx: CommandContext): Promise<Reply> {
  await ctx.client.views.open({
    trigger_id: ctx.triggerId as string,
    view: await launcherView(ctx, ctx.channelId),
  });
  return {
    response_type: 'ephemeral',
    text: ':clipboard: Opened the WhatsApp onboarding menu. `/wa help` lists the commands.',
  };
}

/** App Home: a button per common action this person may take, above their jobs. */
export async function homeActionBlocks(
  ctx: Pick<CommandContext, 'tenant' | 'isAdmin'>,
): Promise<KnownBlock[]> {
  const entries = (await visibleGroups(ctx)).flatMap((g) => g.entries).filter((e) => e.common);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'WhatsApp onboarding' } },
  ];
  const all: LauncherEntry = { path: 'help', label: 'All actions…', action: 'form:open' };
  blocks.push({
    type: 'actions',
    block_id: 'home_actions',
    elements: [...entries.map(button), { ...button(all), action_id: 'form:launcher' }],
  });
  return blocks;
}

export function hasForm(path: string): boolean {
  return formFor(path) !== undefined;
}

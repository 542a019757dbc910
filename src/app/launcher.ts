import type { KnownBlock, View } from '@slack/types';
import { logger } from '../log.js';
import { getAccessSettings, type RestrictableGroup } from '../security/access.js';
import type { CommandContext, Reply } from '../slack/command.js';
import type { LauncherEntry } from '../slack/manifest.js';
import { helpCommand, launcherGroups } from './catalog.js';

/**
 * The launcher: `/wa` alone, the global shortcut "WhatsApp onboarding" and App Home list the
 * actions this person may take here, grouped. Admin-only actions are shown only to admins, and
 * groups an admin restricted (`/wa admins restrict`) only to admins too. Being shown a button
 * is no licence: each form and button checks again through the service layer.
 */

/** The entries this person may use here, by group (empty groups left out). */
async function visibleGroups(ctx: Pick<CommandContext, 'tenant' | 'isAdmin'>) {
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
  for (const group of launcherGroups) {
    const entries: LauncherEntry[] = [];
    for (const entry of group.entries) {
      const spec = entry.command;
      if (!spec.handler) continue;
      const g = spec.restrict;
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
    action_id: `${entry.action}:${entry.command.path.replace(/ /g, '-')}`,
    text: { type: 'plain_text' as const, text: entry.label },
    value: entry.command.path,
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
  const all: LauncherEntry = { command: helpCommand, label: 'All actions…', action: 'form:open' };
  blocks.push({
    type: 'actions',
    block_id: 'home_actions',
    elements: [...entries.map(button), { ...button(all), action_id: 'form:launcher' }],
  });
  return blocks;
}

import type { KnownBlock } from '@slack/types';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import {
  AllowlistFullError,
  addAdmin,
  getAccessSettings,
  MAX_ALLOWLIST,
  RESTRICTABLE,
  type RestrictableGroup,
  removeAdmin,
  setRestricted,
} from '../security/access.js';
import { audit } from '../security/audit.js';
import { catalog } from '../slack/catalog.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { slackTime } from '../slack/dates.js';
import { isEligibleUser, isWorkspaceAdmin } from '../slack/permissions.js';
import type { adminUserInput, restrictInput } from './schemas.js';

const ephemeral = (text: string, blocks?: KnownBlock[]): Reply => ({
  response_type: 'ephemeral',
  text,
  ...(blocks ? { blocks } : {}),
});

export async function addAdminCommand(input: z.output<typeof adminUserInput>, ctx: CommandContext) {
  const user = input.user;
  if (!(await isEligibleUser(ctx.client, ctx.tenant, user))) {
    throw new UserError(
      `<@${user}> cannot be an admin here: only full members of this workspace (not guests, bots or deactivated accounts) can.`,
    );
  }
  let added: boolean;
  try {
    added = await addAdmin(ctx.tenant, user, ctx.userId);
  } catch (err) {
    if (err instanceof AllowlistFullError) {
      throw new UserError(`The allowlist is full (${MAX_ALLOWLIST} people). Remove someone first.`);
    }
    throw err;
  }
  if (!added) return ephemeral(`:information_source: <@${user}> is already on the admin allowlist.`);
  await audit(ctx.tenant, { actor: ctx.userId, action: 'admins.added', target: user, outcome: 'ok' });
  const already = await isWorkspaceAdmin(ctx.client, ctx.tenant, user);
  return ephemeral(
    `:white_check_mark: <@${user}> can now run admin commands of \`/wa\`${already ? ' (they are also a workspace admin)' : ''}.`,
  );
}

export async function removeAdminCommand(input: z.output<typeof adminUserInput>, ctx: CommandContext) {
  const user = input.user;
  if (!(await removeAdmin(ctx.tenant, user, ctx.userId))) {
    return ephemeral(`:information_source: <@${user}> is not on the admin allowlist.`);
  }
  await audit(ctx.tenant, { actor: ctx.userId, action: 'admins.removed', target: user, outcome: 'ok' });
  const still = await isWorkspaceAdmin(ctx.client, ctx.tenant, user);
  return ephemeral(
    `:white_check_mark: <@${user}> is off the allowlist.${still ? ' They stay an admin here because they are a Slack workspace admin or owner.' : ''}`,
  );
}

export async function listAdminsCommand(_input: unknown, ctx: CommandContext) {
  const settings = await getAccessSettings(ctx.tenant);
  const allowlist = settings.admins.length
    ? settings.admins.map((u) => `<@${u}>`).join(', ')
    : '_nobody yet_ (`/wa admins add @someone`)';
  const groups = Object.entries(RESTRICTABLE).map(([g, def]) => {
    const restricted = settings.restricted.includes(g as RestrictableGroup);
    return `• \`${g}\` (${def.label}): ${restricted ? ':lock: admins only' : 'everyone'}`;
  });
  const text =
    `*Who can run admin commands:* workspace admins and owners, plus the allowlist: ${allowlist}\n` +
    `*Member commands* (change with \`/wa admins restrict <group> on|off\`):\n${groups.join('\n')}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (settings.changedBy && settings.changedAt) {
    blocks.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `Last changed by <@${settings.changedBy}> ${slackTime(settings.changedAt)}` },
      ],
    });
  }
  return ephemeral(text, blocks);
}

export async function restrictCommand(input: z.output<typeof restrictInput>, ctx: CommandContext) {
  const group = input.group as RestrictableGroup;
  const on = input.state === 'on';
  const label = RESTRICTABLE[group].label;
  const changed = await setRestricted(ctx.tenant, group, on, ctx.userId);
  if (!changed) {
    return ephemeral(
      `:information_source: ${capitalize(label)} is already ${on ? 'admin-only' : 'open to everyone'}.`,
    );
  }
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: on ? 'access.restricted' : 'access.opened',
    target: group,
    outcome: 'ok',
  });
  return ephemeral(
    `:white_check_mark: ${capitalize(label)} (${catalog()
      .commands.filter((c) => c.restrict === group)
      .map((c) => `\`/wa ${c.path}\``)
      .join(', ')}) is now ${on ? 'for admins only' : 'open to everyone in the workspace'}.`,
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

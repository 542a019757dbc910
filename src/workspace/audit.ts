import type { KnownBlock, View } from '@slack/types';
import { type AuditEntry, latestAudit } from '../security/audit.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { slackTime } from '../slack/dates.js';
import { escClip } from '../slack/mrkdwn.js';

const SHOWN = 20;
const OUTCOME: Record<AuditEntry['outcome'], string> = {
  ok: ':white_check_mark:',
  refused: ':no_entry:',
  failed: ':x:',
};

/** Text from the trail goes into mrkdwn: escaped by the one helper every renderer uses. */
export function escapeMrkdwn(s: string, max = 200): string {
  return escClip(s, max);
}

function who(actor: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(actor) ? `<@${actor}>` : `_${escapeMrkdwn(actor, 40)}_`;
}

/** `<!date^…>` shows the time in each reader's own time zone, with a plain fallback. */
function when(at: string): string {
  return Number.isNaN(Date.parse(at))
    ? escapeMrkdwn(at, 40)
    : slackTime(at, '{date_short_pretty} {time_secs}');
}

/**
 * Block Kit lines for audit entries, newest first: outcome, what, on what, who, when. Entries
 * never hold secrets (audit() redacts), and what they hold is escaped here.
 */
export function auditBlocks(entries: Array<AuditEntry & { at: string }>): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: 'Audit trail' } }];
  if (entries.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '_Nothing recorded yet._' } });
    return blocks;
  }
  for (const e of entries) {
    const target = e.target ? ` · \`${escapeMrkdwn(String(e.target), 80)}\`` : '';
    const detail = e.detail ? `\n${escapeMrkdwn(String(e.detail))}` : '';
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${OUTCOME[e.outcome] ?? ''} *${escapeMrkdwn(String(e.action), 60)}*${target} · ${e.outcome} · by ${who(String(e.actor))} · ${when(e.at)}${detail}`,
        },
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Latest ${entries.length} entries, newest first. Entries expire after the retention period.`,
      },
    ],
  });
  return blocks;
}

export async function showAudit(_input: unknown, ctx: CommandContext): Promise<Reply> {
  const entries = await latestAudit(ctx.tenant, SHOWN);
  const text = entries.length
    ? `Audit trail, newest first:\n${entries.map((e) => escapeMrkdwn(`${e.at} ${e.outcome} ${e.action}${e.target ? ` ${e.target}` : ''} by ${e.actor}`, 300)).join('\n')}`
    : 'Audit trail: nothing recorded yet.';
  return { response_type: 'ephemeral', text, blocks: auditBlocks(entries) };
}

/** The audit trail as a modal (the launcher's Admin entry). */
export async function auditModal(ctx: CommandContext): Promise<View> {
  const reply = await showAudit({}, ctx);
  return {
    type: 'modal',
    callback_id: 'form:done',
    title: { type: 'plain_text', text: 'Audit trail' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: (reply.blocks ?? []).slice(0, 100),
  };
}

import type { KnownBlock } from '@slack/types';
import { type DriftKind, type DriftReport, listDrift } from '../http/drift.js';
import { PROVIDER_LABELS } from '../providers/index.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { slackTime } from '../slack/dates.js';
import { esc } from '../slack/mrkdwn.js';

/**
 * `/wa admins contracts` and App Home's section for admins: what providers sent that differs
 * from what the app assumes (src/http/drift.ts), as shapes, never values, with what it means and
 * what still works. The assumptions themselves are listed in docs/unconfirmed.md.
 */

const MEANING: Record<DriftKind, { means: string; works: string }> = {
  answer: {
    means:
      'An answer we could not read: the provider may have changed its API, or our reading of its documents is wrong.',
    works: 'The step that asked retries, then fails in words on its card; other operations are not affected.',
  },
  webhook: {
    means: 'A webhook body we could not read, so the event was refused.',
    works: 'Jobs still follow the provider by polling, a little later than a webhook would have told them.',
  },
  value: {
    means: 'A status we do not know.',
    works: 'It is shown as the provider names it, and the job keeps following until a state it knows.',
  },
};

const label = (p: string) => (PROVIDER_LABELS as Record<string, string>)[p] ?? p;

/** The shape as one short line of code: `{ dossier_id: string, event: string }`. */
function shapeLine(shape: unknown): string {
  return JSON.stringify(shape).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ').slice(0, 600);
}

function reportBlock(r: DriftReport): KnownBlock {
  const m = MEANING[r.kind];
  const issues = r.issues.map((i) => `\`${esc(i.path)}\`: ${esc(i.problem)}`).join('; ');
  return {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: [
        `*${esc(label(r.provider))}* · ${esc(r.operation)} · seen ${r.count} time${r.count === 1 ? '' : 's'}, last ${slackTime(r.lastSeen)}`,
        `What was seen (keys and types only): \`${esc(shapeLine(r.shape))}\``,
        issues ? `Where it differs: ${issues}` : '',
        `${m.means} ${m.works}`,
      ]
        .filter(Boolean)
        .join('\n')
        .slice(0, 2900),
    },
  };
}

export async function showContracts(_input: unknown, ctx: CommandContext): Promise<Reply> {
  const reports = await listDrift(ctx.tenant);
  if (reports.length === 0)
    return {
      response_type: 'ephemeral',
      text: ':white_check_mark: Every provider answer and webhook so far matched what the app assumes (docs/unconfirmed.md lists those assumptions).',
    };
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Provider contracts' } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${reports.length} difference${reports.length === 1 ? '' : 's'} between what providers sent and what the app assumes. Shapes only: no value from a provider is kept.`,
        },
      ],
    },
    ...reports.slice(0, 45).map(reportBlock),
  ];
  return {
    response_type: 'ephemeral',
    text: reports.map((r) => `${label(r.provider)} ${r.operation}: seen ${r.count} times`).join('\n'),
    blocks,
  };
}

/** App Home, for admins: a line when a provider sent something the app does not expect. */
export async function contractsHomeBlocks(
  ctx: Pick<CommandContext, 'tenant' | 'isAdmin'>,
): Promise<KnownBlock[]> {
  if (!(await ctx.isAdmin())) return [];
  const reports = await listDrift(ctx.tenant);
  if (reports.length === 0) return [];
  const providers = [...new Set(reports.map((r) => label(r.provider)))].join(', ');
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:mag: *Provider contracts:* ${reports.length} difference${reports.length === 1 ? '' : 's'} seen (${esc(providers)}). \`/wa admins contracts\` shows what was seen, what it means and what still works.`,
      },
    },
  ];
}

import type { KnownBlock } from '@slack/types';
import type { Job } from '../jobs/model.js';
import { JobRepository } from '../jobs/repository.js';
import { logger } from '../log.js';
import { catalog } from '../slack/catalog.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { slackDay } from '../slack/dates.js';
import { cardUrl } from '../slack/job-views.js';
import type { Actor } from '../slack/manifest.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { requiredAccess } from '../slack/permissions.js';
import type { TenantId } from '../store/keys.js';
import { clientKey, nearMisses } from './names.js';
import {
  type Client,
  clientWork,
  getClient,
  knownClients,
  listClients,
  type WorkItem,
} from './repository.js';

/**
 * `/wa client "<name>"`, `/wa client list` and App Home's Clients section: one client's work
 * across every provider, from DynamoDB alone (so they answer on the ack path), to the asker.
 */

const ACTIVE = new Set(['queued', 'running', 'waiting']);
const ACTOR_WORDS: Record<Actor, string> = {
  client: 'the client',
  us: 'us',
  provider: 'the provider',
  Meta: 'Meta',
};

type Ctx = Pick<CommandContext, 'tenant' | 'userId' | 'isAdmin' | 'teamDomain'>;

interface Line {
  open: boolean;
  text: string;
  blocking?: string | undefined;
  mine: boolean;
}

/** Whether this person may see jobs of this kind: the rule of the command that runs them. */
async function visibleTo(ctx: Ctx, kind: string, cache: Map<string, Promise<boolean>>): Promise<boolean> {
  let seen = cache.get(kind);
  if (!seen) {
    const rule = catalog().ruleOfKind(kind);
    seen = (async () =>
      !rule || (await requiredAccess(rule, ctx.tenant)) === 'member' || (await ctx.isAdmin()))();
    cache.set(kind, seen);
  }
  return seen;
}

function jobLine(job: Job, ctx: Ctx): Line {
  const { label, progress } = catalog().workOf(job);
  const open = ACTIVE.has(job.state) && !progress.outcome;
  const url = cardUrl(job, ctx.teamDomain);
  const where = url ? ` · <${url}|card and thread>` : '';
  const state = open
    ? `:hourglass_flowing_sand: waiting for ${esc(progress.waitingFor ?? 'the next step')}${progress.next ? ` · next: *${ACTOR_WORDS[progress.next]}*` : ''}`
    : `${progress.outcome === 'failed' || progress.outcome === 'cancelled' ? ':x:' : ':white_check_mark:'} ${esc(progress.outcome ?? job.state)}`;
  return {
    open,
    mine: job.createdBy === ctx.userId,
    blocking: open ? progress.waitingFor : undefined,
    text: `*${esc(label)}* · ${esc(job.subject)}\n${state}\nstarted by ${mention(job.createdBy)} ${slackDay(job.createdAt)}${where}`,
  };
}

function optInLine(item: WorkItem, ctx: Ctx): Line {
  return {
    open: false,
    mine: item.by === ctx.userId,
    text: `*Opt-in* · ${esc(item.summary ?? 'recorded')}\n:white_check_mark: recorded by ${mention(item.by)} ${slackDay(item.at)}`,
  };
}

/** The lines of one client's work this person may see, and how many they may not. */
async function workLines(ctx: Ctx, client: Client, limit = 50): Promise<{ lines: Line[]; hidden: number }> {
  const items = await clientWork(ctx.tenant, client.key, limit);
  const jobs = await new JobRepository().getMany(
    ctx.tenant,
    items.filter((i) => i.type === 'job').map((i) => i.id),
  );
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const cache = new Map<string, Promise<boolean>>();
  const lines: Line[] = [];
  let hidden = 0;
  for (const item of items) {
    if (item.type === 'optin') {
      lines.push(optInLine(item, ctx));
      continue;
    }
    const job = byId.get(item.id);
    if (!job) continue; // gone with its retention
    if (await visibleTo(ctx, job.kind, cache)) lines.push(jobLine(job, ctx));
    else hidden += 1;
  }
  return { lines, hidden };
}

/** The known client a name means, or the words that say there is none (with candidates). */
async function findClient(tenant: TenantId, typed: string): Promise<Client | string> {
  const key = clientKey(typed);
  const known = key ? await getClient(tenant, key) : undefined;
  if (known) return known;
  const near = key ? nearMisses(key, await knownClients(tenant)).slice(0, 3) : [];
  const shown = esc(typed);
  return near.length > 0
    ? `:mag: No client named “${shown}”. Did you mean ${near.map((c) => `*${esc(c.name)}*`).join(' or ')}?`
    : `:mag: No client named “${shown}” in this workspace. \`/wa client list\` shows them all; work starts under a client with \`--client "<name>"\`.`;
}

export async function showClientCommand(input: { name: string }, ctx: CommandContext): Promise<Reply> {
  const client = await findClient(ctx.tenant, input.name);
  if (typeof client === 'string') return { response_type: 'ephemeral', text: client };
  const { lines, hidden } = await workLines(ctx, client);
  const open = lines.filter((l) => l.open);
  const done = lines.filter((l) => !l.open);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Client: ${client.name}`.slice(0, 150) } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${open.length} open · ${done.length} done or ended${hidden ? ` · ${hidden} only admins can see` : ''}`,
        },
      ],
    },
  ];
  for (const line of [...open, ...done].slice(0, 45))
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: line.text.slice(0, 2900) } });
  if (lines.length === 0)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: hidden ? 'Nothing you can see yet.' : 'No work recorded for this client yet.',
      },
    });
  return {
    response_type: 'ephemeral',
    text: [`Client: ${client.name}`, ...[...open, ...done].map((l) => l.text)].join('\n\n').slice(0, 3000),
    blocks,
  };
}

export interface ClientSummary {
  client: Client;
  open: number;
  blocking: string | undefined;
  mine: boolean;
  last: number;
}

/**
 * Clients with their open work and what blocks it, the person's own first: at most `limit`, the
 * ones they named first and then the newest, so the reads stay bounded however many clients the
 * workspace has (one query and one batch read per client shown).
 */
export async function clientSummaries(ctx: Ctx, limit = 25): Promise<ClientSummary[]> {
  const clients = (await listClients(ctx.tenant))
    .sort(
      (a, b) =>
        Number(b.createdBy === ctx.userId) - Number(a.createdBy === ctx.userId) || b.createdAt - a.createdAt,
    )
    .slice(0, limit);
  const summaries = await Promise.all(
    clients.map(async (client): Promise<ClientSummary> => {
      try {
        const { lines } = await workLines(ctx, client, 20);
        const open = lines.filter((l) => l.open);
        return {
          client,
          open: open.length,
          blocking: open[0]?.blocking,
          mine: lines.some((l) => l.mine) || client.createdBy === ctx.userId,
          last: client.createdAt,
        };
      } catch (err) {
        logger.warn('could not read a client', { error: err as Error });
        return { client, open: 0, blocking: undefined, mine: false, last: client.createdAt };
      }
    }),
  );
  return summaries.sort(
    (a, b) =>
      Number(b.mine) - Number(a.mine) || b.open - a.open || a.client.name.localeCompare(b.client.name),
  );
}

const summaryLine = (s: ClientSummary) =>
  `*${esc(s.client.name)}*${s.mine ? ' _(yours)_' : ''} · ${s.open ? `${s.open} open: waiting for ${esc(s.blocking ?? 'the next step')}` : 'nothing open'}`;

export async function listClientsCommand(_input: unknown, ctx: CommandContext): Promise<Reply> {
  const summaries = await clientSummaries(ctx);
  if (summaries.length === 0)
    return {
      response_type: 'ephemeral',
      text: ':busts_in_silhouette: No clients yet. Work starts under a client with `--client "<name>"` (a partner invitation is under its client name).',
    };
  const text = summaries.map(summaryLine).join('\n');
  return {
    response_type: 'ephemeral',
    text: `Clients:\n${text}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Clients' } },
      { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '`/wa client "<name>"` shows one in full.' }] },
    ],
  };
}

/** App Home's Clients section: the person's own clients first. */
export async function clientsHomeBlocks(ctx: Ctx): Promise<KnownBlock[]> {
  const summaries = await clientSummaries(ctx, 10);
  if (summaries.length === 0) return [];
  return [
    { type: 'header', text: { type: 'plain_text', text: 'Clients' } },
    { type: 'section', text: { type: 'mrkdwn', text: summaries.map(summaryLine).join('\n').slice(0, 2900) } },
  ];
}

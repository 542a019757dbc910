import type { KnownBlock, View } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { JobRepository } from '../jobs/repository.js';
import { logger } from '../log.js';
import { catalog } from '../slack/catalog.js';
import type { CommandContext } from '../slack/command.js';
import { cardPermalink, jobsBlocks } from '../slack/job-views.js';
import type { TenantId } from '../store/keys.js';
import { homeSections } from './catalog.js';
import { homeActionBlocks } from './launcher.js';

/**
 * App Home: the person's common actions, then their own jobs (or everyone's, by the switch),
 * each linking to its card. Home has no ephemeral messages, so a click on it is answered by
 * publishing the tab again with a notice at the top (the tab is also the one place the list
 * changes after a cancel).
 */
export type HomeScope = 'mine' | 'all';

export interface HomeState {
  scope: HomeScope;
  /** One line answering the person's last click, shown at the top. */
  notice?: string | undefined;
}

/** The scope kept in the published view's private_metadata, so a click or a reopen keeps it. */
export function scopeOf(view: { private_metadata?: string } | undefined): HomeScope {
  try {
    const meta = JSON.parse(view?.private_metadata || '{}') as { scope?: unknown };
    return meta.scope === 'all' ? 'all' : 'mine';
  } catch {
    return 'mine';
  }
}

const SHOWN = 20;

export async function homeView(ctx: CommandContext, state: HomeState): Promise<View> {
  const repo = new JobRepository();
  const [recent, actions, ...sections] = await Promise.all([
    repo.list(ctx.tenant, { all: true, limit: 200 }),
    homeActionBlocks(ctx),
    // The features' own sections (a client's work), each on its own: one failing leaves the rest.
    ...homeSections.map((section) =>
      section(ctx).catch((err: unknown) => {
        logger.warn('an App Home section failed', { error: err as Error });
        return [];
      }),
    ),
  ]);
  const listed = recent.filter((j) => !catalog().isInternalJob(j));
  const mine = listed.filter((j) => j.createdBy === ctx.userId);
  const jobs = (state.scope === 'mine' ? mine : listed).slice(0, SHOWN);
  // An event carries no team domain: each card's address comes from Slack (chat.getPermalink).
  const links = new Map<string, string>();
  await Promise.all(
    jobs.map(async (j) => {
      const url = await cardPermalink(j, ctx.client, undefined, 1_000);
      if (url) links.set(j.id, url);
    }),
  );
  const blocks: KnownBlock[] = [];
  if (state.notice) {
    blocks.push({ type: 'section', block_id: 'home_notice', text: { type: 'mrkdwn', text: state.notice } });
  }
  blocks.push(...actions, ...sections.flat());
  blocks.push({
    type: 'actions',
    block_id: 'home_scope',
    elements: (['mine', 'all'] as const).map((scope) => ({
      type: 'button' as const,
      action_id: `home:scope:${scope}`,
      text: { type: 'plain_text' as const, text: scope === 'mine' ? 'My jobs' : "Everyone's jobs" },
      value: scope,
      ...(state.scope === scope ? { style: 'primary' as const } : {}),
    })),
  });
  blocks.push(
    ...jobsBlocks(jobs, true, undefined, {
      title: state.scope === 'mine' ? 'My jobs' : "Everyone's jobs",
      empty:
        state.scope === 'mine'
          ? `You have started no jobs yet.${listed.length ? ` *Everyone's jobs* shows ${listed.length > SHOWN ? 'the latest ' : ''}${Math.min(listed.length, SHOWN)} of others.` : ''}`
          : 'No jobs yet.',
      links,
    }),
  );
  return {
    type: 'home',
    callback_id: 'home',
    private_metadata: JSON.stringify({ scope: state.scope }),
    blocks: blocks.slice(0, 100),
  };
}

export async function publishHome(ctx: CommandContext, state: HomeState): Promise<void> {
  await ctx.client.views.publish({ user_id: ctx.userId, view: await homeView(ctx, state) });
}

/**
 * What a button handler would have said with `respond` (which a click on Home does not have),
 * as one line for the Home notice.
 */
export function noticeOf(message: unknown): string | undefined {
  if (typeof message === 'string') return message;
  const text = (message as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' && text ? text : undefined;
}

/**
 * Runs a click made on App Home: the handler's answers (`respond`) are collected and the tab is
 * published again with the last of them, after the handler has changed what it changes.
 */
export async function answerOnHome(
  args: {
    body: { user: { id: string }; view?: { private_metadata?: string } };
    client: WebClient;
    tenant: TenantId;
  },
  run: (respond: (message: unknown) => Promise<void>) => Promise<void>,
  ctx: CommandContext,
  scope: HomeScope = scopeOf(args.body.view),
): Promise<void> {
  let notice: string | undefined;
  try {
    await run(async (message) => {
      notice = noticeOf(message) ?? notice;
    });
  } catch (err) {
    logger.error('a click on App Home failed', { error: err as Error });
    notice =
      ':warning: That click could not be handled. Reopen the tab to see where things stand, and try again.';
  }
  await publishHome(ctx, { scope, notice: notice ? notice.slice(0, 2900) : undefined }).catch((err) =>
    logger.warn('could not publish App Home', { error: err as Error }),
  );
}

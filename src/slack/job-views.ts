import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Job } from '../jobs/model.js';
import type { Reply } from './command.js';
import { slackTime } from './dates.js';
import { esc, mention } from './mrkdwn.js';

const STATE_ICON: Record<string, string> = {
  queued: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  waiting: ':hourglass_flowing_sand:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

/**
 * The address of a job's card (and its thread) in Slack's permalink form, as chat.getPermalink
 * answers it (`https://<domain>.slack.com/archives/<channel>/p<ts without the dot>`), built
 * without a call: a list answers on the ack path. Undefined without a card or a known domain.
 */
export function cardUrl(job: Pick<Job, 'report'>, teamDomain: string | undefined): string | undefined {
  const { channel, progressTs } = job.report;
  if (!teamDomain || !/^[a-z0-9-]+$/i.test(teamDomain) || !progressTs || !/^\d+\.\d+$/.test(progressTs))
    return undefined;
  if (!/^[CDG][A-Z0-9]+$/.test(channel)) return undefined;
  return `https://${teamDomain}.slack.com/archives/${channel}/p${progressTs.replace('.', '')}`;
}

/**
 * A link to a job's card and thread for an answer on the ack path: Slack's own permalink
 * (chat.getPermalink), or the permalink form when Slack does not answer in time (the ack must
 * leave within 3 seconds); undefined when the job has no card.
 */
export async function cardPermalink(
  job: Pick<Job, 'report'>,
  client: Pick<WebClient, 'chat'>,
  teamDomain: string | undefined,
  waitMs = 1_000,
): Promise<string | undefined> {
  const { channel, progressTs } = job.report;
  if (!progressTs) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const asked = client.chat.getPermalink({ channel, message_ts: progressTs });
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    const res = await Promise.race([asked, late]);
    asked.catch(() => undefined);
    if (res?.permalink && /^https:\/\/[^\s<>|]+$/.test(res.permalink)) return res.permalink;
  } catch {
    // Not in the channel any more, or Slack is down: the permalink form still works.
  } finally {
    clearTimeout(timer);
  }
  return cardUrl(job, teamDomain);
}

function jobLine(job: Job, teamDomain?: string, link?: string): string {
  const next =
    job.state === 'waiting' && job.dueAt
      ? ` · next check ${slackTime(job.dueAt, '{date_short_pretty} {time}')}`
      : job.state === 'running'
        ? ' · running now'
        : '';
  const attempts =
    job.attempts > 0 ? ` · ${job.attempts} failed attempt${job.attempts === 1 ? '' : 's'}` : '';
  const error = job.lastError ? `\n_${job.lastError}_` : '';
  const url = link ?? cardUrl(job, teamDomain);
  const card = url ? ` · <${url}|card and thread>` : '';
  return `${STATE_ICON[job.state] ?? ''} *${esc(job.subject)}*\n${job.ref ? `*${esc(job.ref)}* · ` : ''}\`${job.id}\` · ${job.kind} · ${job.state}${job.client ? ` · client *${esc(job.client)}*` : ''}${next}${attempts} · by ${mention(job.createdBy)}${card}${error}`;
}

/**
 * The job list for `/wa jobs` and App Home: newest first, with a cancel button on active jobs.
 * App Home gives its own title and empty line, and links found with chat.getPermalink (an event
 * carries no team domain).
 */
export function jobsBlocks(
  jobs: Job[],
  all: boolean,
  teamDomain?: string,
  opts: { title?: string; empty?: string; links?: ReadonlyMap<string, string> } = {},
): KnownBlock[] {
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: opts.title ?? (all ? 'Jobs (recent, all states)' : 'Active jobs') },
    },
  ];
  if (jobs.length === 0) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          opts.empty ??
          (all ? 'No jobs yet.' : 'Nothing is running. `/wa jobs --all` shows finished jobs too.'),
      },
    });
    return blocks;
  }
  for (const job of jobs.slice(0, 20)) {
    const active = job.state === 'queued' || job.state === 'running' || job.state === 'waiting';
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: jobLine(job, teamDomain, opts.links?.get(job.id)).slice(0, 2900) },
      ...(active
        ? {
            accessory: {
              type: 'button',
              action_id: 'jobs:cancel',
              text: { type: 'plain_text', text: 'Cancel' },
              value: job.id,
              style: 'danger',
              confirm: {
                title: { type: 'plain_text', text: 'Cancel this job?' },
                text: {
                  type: 'plain_text',
                  text: `Stop following "${job.subject.slice(0, 200)}"? Nothing is undone at the provider.`,
                },
                confirm: { type: 'plain_text', text: 'Cancel job' },
                deny: { type: 'plain_text', text: 'Keep it' },
              },
            },
          }
        : {}),
    });
  }
  if (jobs.length > 20) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${jobs.length - 20} more.` }] });
  }
  return blocks;
}

/** `/wa jobs`: only the asker sees it (ephemeral), each job with a link to its card when it has one. */
export function jobsReply(jobs: Job[], all: boolean, teamDomain?: string): Reply {
  return {
    response_type: 'ephemeral',
    text: jobs.length
      ? jobs.map((j) => `${j.id} ${j.kind} ${j.state}: ${esc(j.subject)}`).join('\n')
      : 'No jobs.',
    blocks: jobsBlocks(jobs, all, teamDomain),
  };
}

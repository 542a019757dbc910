import type { KnownBlock } from '@slack/types';
import type { Reply } from '../slack/command.js';
import { esc, mention } from '../slack/mrkdwn.js';
import type { Job } from './model.js';

const STATE_ICON: Record<string, string> = {
  queued: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  waiting: ':hourglass_flowing_sand:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

/** Slack renders `<!date^...>` in each reader's time zone. */
export function slackDate(ms: number, format = '{date_short_pretty} {time}'): string {
  const secs = Math.floor(ms / 1000);
  return `<!date^${secs}^${format}|${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC>`;
}

export function jobLine(job: Job): string {
  const next =
    job.state === 'waiting' && job.dueAt
      ? ` · next check ${slackDate(job.dueAt)}`
      : job.state === 'running'
        ? ' · running now'
        : '';
  const attempts =
    job.attempts > 0 ? ` · ${job.attempts} failed attempt${job.attempts === 1 ? '' : 's'}` : '';
  const error = job.lastError ? `\n_${job.lastError}_` : '';
  return `${STATE_ICON[job.state] ?? ''} *${esc(job.subject)}*\n\`${job.id}\` · ${job.kind} · ${job.state}${next}${attempts} · by ${mention(job.createdBy)}${error}`;
}

/** The job list for `/wa jobs` and App Home: newest first, with a cancel button on active jobs. */
export function jobsBlocks(jobs: Job[], all: boolean): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: all ? 'Jobs (recent, all states)' : 'Active jobs' } },
  ];
  if (jobs.length === 0) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: all ? 'No jobs yet.' : 'Nothing is running. `/wa jobs --all` shows finished jobs too.',
      },
    });
    return blocks;
  }
  for (const job of jobs.slice(0, 20)) {
    const active = job.state === 'queued' || job.state === 'running' || job.state === 'waiting';
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: jobLine(job).slice(0, 2900) },
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

export function jobsReply(jobs: Job[], all: boolean): Reply {
  return {
    response_type: 'ephemeral',
    text: jobs.length
      ? jobs.map((j) => `${j.id} ${j.kind} ${j.state}: ${esc(j.subject)}`).join('\n')
      : 'No jobs.',
    blocks: jobsBlocks(jobs, all),
  };
}

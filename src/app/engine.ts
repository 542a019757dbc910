import { type EngineDeps, wireEngine } from '../jobs/engine.js';
import type { JobKind } from '../jobs/kinds.js';
import { describeError } from '../slack/describe.js';
import { formButton } from '../slack/forms.js';
import { SlackReporter } from '../slack/job-reporter.js';
import type { KindEntry } from '../slack/manifest.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { slackClientFor } from '../slack/tenant-client.js';
import { kindEntries } from './catalog.js';

/**
 * The job engine, wired: the kinds every feature's manifest declares (each loaded on its first
 * job), the Slack status card as each job's reporter, and the words of failures. Every function
 * that runs or touches jobs imports this once.
 */
const kinds = new Map<string, KindEntry>(kindEntries.map((k) => [k.id.id, k]));
const loaded = new Map<string, Promise<JobKind>>();

/** Kinds from outside the app's features: tests and benches bring their own. */
export function addJobKinds(...entries: KindEntry[]): void {
  for (const entry of entries) {
    kinds.set(entry.id.id, entry);
    loaded.delete(entry.id.id);
  }
}

export const engineDeps: EngineDeps = {
  async kind(id) {
    const entry = kinds.get(id);
    if (!entry) return undefined;
    let kind = loaded.get(id);
    if (!kind) {
      kind = entry.load() as unknown as Promise<JobKind>;
      loaded.set(id, kind);
      kind.catch(() => loaded.delete(id));
    }
    return kind;
  },
  // Every card says which job it is (its short reference) and who asked for it.
  reporterFor: (job, now) =>
    new SlackReporter(
      () => slackClientFor(job.tenant),
      job.report,
      now,
      `${job.ref ? `*${esc(job.ref)}* · ` : ''}requested by ${mention(job.createdBy)}${job.client ? ` · client *${esc(job.client)}*` : ''}`,
    ),
  describe: describeError,
  failed: (job, reason) => ({
    text: `:x: ${esc(job.subject)}: failed. ${reason} Run \`/wa jobs --all\` to see it, and start it again once fixed.`,
  }),
  inputFailed: (job, message, values) => {
    const form = kinds.get(job.kind)?.form;
    if (!form || !values) return message;
    return {
      text: message.text,
      blocks: [
        ...(message.blocks ?? [
          { type: 'section', text: { type: 'mrkdwn', text: message.text.slice(0, 2900) } },
        ]),
        formButton(form.path, values, 'Edit'),
      ],
    };
  },
  plainCard: (job) => ({
    text: `${job.state === 'cancelled' ? ':no_entry_sign:' : ':information_source:'} ${esc(job.subject)}: ${job.state}${job.lastError ? `. ${job.lastError}` : ''}`,
  }),
};

wireEngine(engineDeps);

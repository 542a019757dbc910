import { backoffDelay, JOB_RETRY } from '../http/backoff.js';
import { isTransient, ProviderError, retryAfterOf } from '../http/errors.js';
import type { JobKind } from '../jobs/kinds.js';
import type { SlackMessage } from '../jobs/model.js';
import { CommboxClient } from '../providers/commbox/client.js';
import { describeError } from '../slack/describe.js';
import { esc } from '../slack/mrkdwn.js';
import { maskPhone } from '../slack/schemas.js';
import { contactVerifyKind, VerifyPayload } from './kinds.js';
import { activeOptIns } from './repository.js';
import { contactSettings } from './settings.js';

/** One letter per number, aligned with the payload: valid, invalid, refused (opt-in gone), error. */
type Code = 'v' | 'i' | 'r' | 'e';
/** Small on purpose (it lives in the job item): the answers so far and transient failures in a row. */
type VerifyData = { results?: string; fails?: number };

/** The progress message is updated after this many numbers. */
const PROGRESS_EVERY = 3;
const MAX_FAILS = 5;

const CAVEAT =
  "_This is CommBox's answer, not proof: the WhatsApp contacts check behind it was retired with the On-Premises API (Oct 2025) and may report any number as valid._";

const WORDS: Record<Code, string> = {
  v: ':white_check_mark: CommBox says valid',
  i: ':x: CommBox says not valid',
  r: ':no_bell: not checked: the opt-in was withdrawn meanwhile',
  e: ':warning: CommBox refused to check it',
};

function report(numbers: string[], results: string, head: string, tail = ''): SlackMessage {
  const lines = numbers
    .slice(0, results.length)
    .map((n, i) => `• ${maskPhone(n)}: ${WORDS[results[i] as Code]}`);
  return { text: [head, ...lines, ...(tail ? [tail] : [])].join('\n') };
}

/**
 * Bulk verification as one job: the numbers one after another under the CommBox rate limit
 * (held in DynamoDB across Lambdas), one progress message updated as it goes, each answer at
 * the end. Answers are kept when CommBox fails transiently, so no number is checked twice.
 */
export const contactVerify: JobKind<VerifyPayload, VerifyData> = {
  kind: contactVerifyKind.id,
  payload: VerifyPayload,
  async step(job, io) {
    const numbers = job.payload.numbers;
    const n = numbers.length;
    let results = job.data.results ?? '';
    // The card in the step, not only after it: its ts is then stored with the step's outcome,
    // and the next step updates it instead of posting another.
    if (!job.report.progressTs) await io.progress(verifyCard(job));
    // Consent may have been withdrawn since the command: check again right before calling.
    const opted = await activeOptIns(job.tenant, numbers.slice(results.length));
    const commbox = await CommboxClient.forTenant(job.tenant, {
      perMinute: contactSettings().COMMBOX_RATE_PER_MINUTE,
    });
    while (results.length < n) {
      const number = numbers[results.length] as string;
      if (!opted.has(number)) {
        results += 'r';
        continue;
      }
      try {
        results += (await commbox.validateContact(number)).valid ? 'v' : 'i';
      } catch (err) {
        // A number CommBox refuses (400/404) is an answer about that number, not a job failure.
        if (err instanceof ProviderError && err.kind === 'permanent') {
          results += 'e';
          continue;
        }
        if (!isTransient(err)) throw err;
        const fails = (job.data.fails ?? 0) + 1;
        if (fails >= MAX_FAILS) {
          return {
            type: 'fail',
            reason: `${describeError(err)} ${results.length} of ${n} were checked before that.`,
            data: { results, fails },
          };
        }
        // The card (rendered by the engine after the step) says CommBox is being retried.
        return {
          type: 'wait',
          until: io.now + backoffDelay(fails, JOB_RETRY, retryAfterOf(err)),
          data: { results, fails },
        };
      }
      if (n > 1 && results.length < n && results.length % PROGRESS_EVERY === 0)
        await io.progress(verifyCard({ ...job, data: { ...job.data, results } }));
    }
    return { type: 'done', data: { results, fails: 0 } };
  },
  failureMessage: (job, reason) => ({ text: `:x: ${esc(job.subject)}: ${reason}` }),
  card: (job) => verifyCard(job),
};

/**
 * The verification's one status card, from the job alone: how far it is, each answer so far,
 * and how it ended (the answers found before a failure or a cancel stay on it).
 */
function verifyCard(job: {
  id: string;
  state: string;
  lastError?: string | undefined;
  payload: VerifyPayload;
  data: VerifyData;
}): SlackMessage {
  const numbers = job.payload.numbers;
  const n = numbers.length;
  const results = job.data.results ?? '';
  const active = job.state === 'queued' || job.state === 'running' || job.state === 'waiting';
  let head: string;
  let tail = '';
  if (job.state === 'succeeded') {
    head = `:mag: Verification with CommBox (${n} number${n > 1 ? 's' : ''}):`;
    tail = CAVEAT;
  } else if (active) {
    head = `:hourglass_flowing_sand: Verifying ${n} number${n > 1 ? 's' : ''} with CommBox: ${results.length} of ${n} done.${(job.data.fails ?? 0) > 0 ? ' CommBox is not answering properly; trying again shortly.' : ''}`;
  } else {
    const how =
      job.state === 'failed'
        ? `:x: *Failed.* ${job.lastError ?? ''}`.trim()
        : `:no_entry_sign: *No longer followed.* ${job.lastError ?? ''}`.trim();
    head = `${how}\nVerification with CommBox: ${results.length} of ${n} checked.`;
  }
  const message = report(numbers, results, head, tail);
  return {
    text: message.text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: message.text.slice(0, 2900) } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `Job \`${esc(job.id)}\` · ${esc(job.state)}` }],
      },
    ],
  };
}

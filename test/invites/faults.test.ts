import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminal } from '../../src/jobs/model.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { slackMessages } from '../helpers/slack.js';
import { job, jobIdIn, run, sandboxState, startStack } from './helpers.js';

let stack: LocalStack;
beforeAll(async () => {
  // A third of provider requests fail (500, 429 or no answer), from a seeded sequence.
  stack = await startStack({
    SANDBOX_FAULT_RATE: '0.3',
    SANDBOX_FAULT_SEED: '1',
    INVITES_HTTP_TIMEOUT_MS: '250',
  });
});
afterAll(async () => {
  await stack?.close();
});

describe('invites under provider faults', () => {
  it('creates every dossier and invitation exactly once and still follows each to the end', async () => {
    const jobs: string[] = [];
    for (let n = 1; n <= 4; n++) {
      jobs.push(
        jobIdIn(
          (
            await run(
              stack,
              `invite sign "Signer ${n}" s${n}@example.com +3161234567${n} --template 06c2e210-54a8-417f-adf2-fc767c31c929 --dossier "Fault dossier ${n}"`,
            )
          ).text,
        ),
      );
      jobs.push(jobIdIn((await run(stack, `invite partner "Fault client ${n}"`)).text));
    }
    expect(jobs.every(Boolean)).toBe(true);

    // Retries wait with backoff (up to 30 minutes): move the clock an hour per round.
    for (let round = 0; round < 30; round++) {
      const states = await Promise.all(jobs.map(async (id) => (await job(id)).state));
      if (states.every(isTerminal)) break;
      stack.clock.advance(60 * 60_000);
      await stack.tick();
    }

    const finals = await Promise.all(jobs.map(job));
    expect(finals.map((j) => `${j.subject}: ${j.state}`)).toEqual(
      finals.map((j) => `${j.subject}: succeeded`),
    );

    // One card per job, however its first steps failed: every top-level post naming the job is
    // its card (a card first shown after a failed step was saved would be posted again).
    const posts = await slackMessages(stack.url);
    for (const j of finals) {
      const top = posts.filter(
        (m) =>
          m.kind === 'chat.postMessage' &&
          !m.thread_ts &&
          `${m.text ?? ''}${JSON.stringify(m.blocks ?? '')}`.includes(j.id),
      );
      expect(
        top.map((m) => m.ts),
        j.subject,
      ).toEqual([j.report.progressTs]);
    }

    const state = await sandboxState(stack);
    const stats = state as unknown as Record<string, { stats: { faults: number } }>;
    expect(stats['cm-sign']?.stats.faults).toBeGreaterThan(0);
    expect(stats.zavu?.stats.faults).toBeGreaterThan(0);
    for (let n = 1; n <= 4; n++) {
      // CM.com Sign documents no way to look a dossier up, so a create whose answer was lost can
      // leave an orphan draft (docs/invites.md). The invitee is still invited exactly once: only
      // one dossier is sent, with one invite; any other is an untouched draft.
      const dossiers = state['cm-sign'].dossiers.filter((d) => d.name === `Fault dossier ${n}`);
      const sent = dossiers.filter((d) => d.invites.length > 0);
      expect(sent).toHaveLength(1);
      expect(sent[0]?.invites).toHaveLength(1);
      expect(dossiers.filter((d) => d.invites.length === 0).every((d) => d.state === 'draft')).toBe(true);
      expect(state.zavu.invitations.filter((i) => i.clientName === `Fault client ${n}`)).toHaveLength(1);
    }
    // Up to 30 simulated hours of ticks: on a shared, loaded machine this takes longer than the
    // default 20 s per test (nothing here is timed; the limit only stops a hung run).
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRepository } from '../../src/jobs/repository.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { command } from '../helpers/slack.js';
import { jobIdIn, sandboxState, startStack, T } from '../invites/helpers.js';

// Issue 26: five identical commands at once (a double Enter, a flaky client), each a signed
// request with its own trigger, through the local stack. The target's pointer is the lock: one
// conditional write decides, and the others are answered with the winner's job.

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const invitationsFor = async (name: string) =>
  (await sandboxState(stack)).zavu.invitations.filter((i) => i.clientName === name);

describe('identical starts at once', () => {
  it('five identical `/wa invite partner` at once create one Zavu invitation, and every answer names that job', async () => {
    // Several rounds: a racer that reads the winner's pointer before the winner's job is written
    // must not take the pointer over.
    for (let round = 0; round < 4; round++) {
      const name = `Race Five Co ${round}`;
      const text = `invite partner "${name}" --email race@example.com`;
      const answers = await Promise.all(Array.from({ length: 5 }, () => command(stack.url, text)));
      await stack.drain();
      for (const a of answers) expect(a.status).toBe(200);
      const ids = answers.map((a) => jobIdIn(a.json.text));
      expect(ids.every((id) => id !== '')).toBe(true);
      // One started it ("On it"), four were shown that same job.
      expect(new Set(ids).size).toBe(1);
      expect(answers.filter((a) => /On it/.test(a.json.text ?? ''))).toHaveLength(1);
      expect(answers.filter((a) => /already started this/.test(a.json.text ?? ''))).toHaveLength(4);
      expect(await invitationsFor(name)).toHaveLength(1);
    }
  });

  it("a start that reads the winner's pointer before the winner's job is written is shown that job", async () => {
    // The moment between the winner's two writes (pointer, then job), made to last: the pointer
    // names a job that is not written yet.
    const now = stack.clock.now();
    const winner = {
      tenant: T,
      id: 'jwinner0000001',
      kind: 'invite.partner',
      subject: 'Partner invitation for Race Window Co',
      createdAt: now,
      createdBy: 'U0ADMIN',
      report: { channel: 'C0SANDBOX', userId: 'U0ADMIN' },
    } as never;
    expect(await new JobRepository().pointTarget(winner, 'race window co', now, null)).toBe(true);
    const answer = await command(stack.url, 'invite partner "Race Window Co"');
    await stack.drain();
    expect(answer.json.text).toMatch(/already started this: job `jwinner0000001`/);
    expect(await invitationsFor('Race Window Co')).toHaveLength(0);
    // A pointer whose job never came (its start failed after the pointer) holds only briefly.
    stack.clock.advance(60_000);
    const later = await command(stack.url, 'invite partner "Race Window Co"');
    await stack.drain();
    expect(later.json.text).toMatch(/On it/);
    expect(await invitationsFor('Race Window Co')).toHaveLength(1);
  });

  it('--again still starts another: three at once with --again make three invitations', async () => {
    const text = 'invite partner "Race Again Co" --email again@example.com';
    const first = await command(stack.url, text);
    expect(first.json.text).toMatch(/On it/);
    const answers = await Promise.all(Array.from({ length: 3 }, () => command(stack.url, `${text} --again`)));
    await stack.drain();
    const ids = new Set([first, ...answers].map((a) => jobIdIn(a.json.text)));
    expect(ids.size).toBe(4);
    expect(await invitationsFor('Race Again Co')).toHaveLength(4);
    // The next identical command is shown one of the --again jobs (the pointer's latest).
    const next = await command(stack.url, text);
    expect(next.json.text).toMatch(/already started this/);
    expect(ids.has(jobIdIn(next.json.text))).toBe(true);
    expect(jobIdIn(next.json.text)).not.toBe(jobIdIn(first.json.text));
  });
});

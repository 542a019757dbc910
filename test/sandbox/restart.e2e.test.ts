import { afterAll, describe, expect, it } from 'vitest';
import { alive, ChildStack, listening } from '../helpers/child-stack.js';
import { sandboxFetch, slackMessages } from '../helpers/slack.js';

const stack = new ChildStack('restart');
const childCommand = (_url: string, text: string) => stack.command(text);

async function state(url: string) {
  return (await (await sandboxFetch(url, '/_sandbox/state')).json()) as {
    zavu: { invitations: Array<{ clientName: string; status: string }> };
  };
}

afterAll(async () => {
  await stack.close();
});

describe('hard kill and restart with DATA_DIR', () => {
  it('given a job waiting on a provider, when the stack is killed -9 and restarted on the same DATA_DIR, then the job resumes and completes without a second invitation', async () => {
    let url = await stack.start();
    const port = stack.port;
    const ack = await childCommand(url, 'invite partner "Kill Nine Corp"');
    expect(ack.json.text).toMatch(/On it/i);
    // Wait for the job's first step to finish: the invitation exists and the job reported it.
    for (let i = 0; i < 150; i++) {
      const created = (await state(url)).zavu.invitations.some((inv) => inv.clientName === 'Kill Nine Corp');
      if (created && /waiting/.test((await childCommand(url, 'jobs')).json.text ?? '')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = (await slackMessages(url)).length;
    expect(before).toBeGreaterThan(0);

    const killed = await stack.killNine();
    // The server itself is gone, and nothing answers on its port, before the restart.
    expect(alive(killed)).toBe(false);
    expect(await listening(port)).toBe(false);
    url = await stack.start();
    expect(stack.child?.pid).not.toBe(killed);

    // The fake Slack's messages and the provider's records survived with the table.
    expect((await slackMessages(url)).length).toBe(before);
    for (let i = 0; i < 6; i++) await sandboxFetch(url, '/_sandbox/scheduler/tick', { method: 'POST' });

    const invitations = (await state(url)).zavu.invitations.filter(
      (inv) => inv.clientName === 'Kill Nine Corp',
    );
    expect(invitations).toHaveLength(1);
    expect(invitations[0]?.status).toBe('completed');
    const jobs = await childCommand(url, 'jobs --all');
    expect(jobs.json.text).toMatch(/invite\.partner succeeded/);
  }, 180_000);
});

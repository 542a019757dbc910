import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { command, sandboxFetch, slackMessages } from '../helpers/slack.js';

const dataDir = mkdtempSync(join(tmpdir(), 'wa-restart-'));
let child: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The child stack's control-plane token (sandboxFetch falls back to this variable). */
process.env.SANDBOX_CONTROL_TOKEN = `restart-${process.pid}-${Math.random().toString(36).slice(2)}`;

/** `npm start`'s entry point, as its own process, so it can be killed with SIGKILL. */
async function startStack(port: number): Promise<string> {
  const url = `http://127.0.0.1:${port}`;
  child = spawn(join('node_modules', '.bin', 'tsx'), ['src/sandbox/main.ts'], {
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'ERROR', SCHEDULE_SECONDS: '0' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return url;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('local stack did not start');
}

async function state(url: string) {
  return (await (await sandboxFetch(url, '/_sandbox/state')).json()) as {
    zavu: { invitations: Array<{ clientName: string; status: string }> };
  };
}

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('hard kill and restart with DATA_DIR', () => {
  it('given a job waiting on a provider, when the stack is killed -9 and restarted on the same DATA_DIR, then the job resumes and completes without a second invitation', async () => {
    const port = await freePort();
    let url = await startStack(port);
    const ack = await command(url, 'invite partner "Kill Nine Corp"');
    expect(ack.json.text).toMatch(/On it/i);
    // Wait for the job's first step to finish: the invitation exists and the job reported it.
    for (let i = 0; i < 150; i++) {
      const created = (await state(url)).zavu.invitations.some((inv) => inv.clientName === 'Kill Nine Corp');
      if (created && /waiting/.test((await command(url, 'jobs')).json.text ?? '')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = (await slackMessages(url)).length;
    expect(before).toBeGreaterThan(0);

    child?.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    url = await startStack(port);

    // The fake Slack's messages and the provider's records survived with the table.
    expect((await slackMessages(url)).length).toBe(before);
    for (let i = 0; i < 6; i++) await sandboxFetch(url, '/_sandbox/scheduler/tick', { method: 'POST' });

    const invitations = (await state(url)).zavu.invitations.filter(
      (inv) => inv.clientName === 'Kill Nine Corp',
    );
    expect(invitations).toHaveLength(1);
    expect(invitations[0]?.status).toBe('completed');
    const jobs = await command(url, 'jobs --all');
    expect(jobs.json.text).toMatch(/invite\.partner succeeded/);
  }, 60_000);
});

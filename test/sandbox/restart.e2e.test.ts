import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { command, sandboxFetch, slackMessages } from '../helpers/slack.js';

const dataDir = mkdtempSync(join(tmpdir(), 'wa-restart-'));
/** The child's own temp folder (tsx keeps its compile cache there), removed with the data. */
const childTmp = mkdtempSync(join(tmpdir(), 'wa-restart-tmp-'));
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

/**
 * `npm start`'s entry point run by Node itself (tsx as an import hook, no wrapper process), in a
 * process group of its own: the pid we hold is the server's, so SIGKILL kills the server.
 */
async function startStack(port: number): Promise<string> {
  const url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts'], {
    env: {
      ...process.env,
      TMPDIR: childTmp,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'ERROR',
      SCHEDULE_SECONDS: '0',
    },
    stdio: 'ignore',
    detached: true,
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

/**
 * `/wa <text>` to the child stack. Its fake Slack accepts only trigger ids and response_urls it
 * issued itself (as Slack does), so they come from the child, as the console gets them.
 */
async function childCommand(url: string, text: string) {
  const res = await sandboxFetch(url, '/_sandbox/slack/issue', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  const issued = (await res.json()) as { trigger_id: string; response_url: string };
  return command(url, text, { trigger_id: issued.trigger_id, response_url: issued.response_url });
}

async function state(url: string) {
  return (await (await sandboxFetch(url, '/_sandbox/state')).json()) as {
    zavu: { invitations: Array<{ clientName: string; status: string }> };
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** SIGKILL to the server's whole process group, then wait until it is gone. */
async function killNine(): Promise<number> {
  const pid = child?.pid as number;
  const exited = new Promise((r) => child?.once('exit', r));
  process.kill(-pid, 'SIGKILL');
  await exited;
  return pid;
}

afterAll(async () => {
  if (child?.pid && alive(child.pid)) await killNine();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(childTmp, { recursive: true, force: true });
});

describe('hard kill and restart with DATA_DIR', () => {
  it('given a job waiting on a provider, when the stack is killed -9 and restarted on the same DATA_DIR, then the job resumes and completes without a second invitation', async () => {
    const port = await freePort();
    let url = await startStack(port);
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

    const killed = await killNine();
    // The server itself is gone, and nothing answers on its port, before the restart.
    expect(alive(killed)).toBe(false);
    expect(await listening(port)).toBe(false);
    url = await startStack(port);
    expect(child?.pid).not.toBe(killed);

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

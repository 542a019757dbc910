import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, sandboxFetch } from './slack.js';

/**
 * The local stack as `npm start` runs it, in a child process of its own, so a test can kill it
 * with SIGKILL and start it again on the same DATA_DIR: `src/sandbox/main.ts` run by Node itself
 * (tsx as an import hook, no wrapper process), in a process group of its own, so the pid held is
 * the server's and SIGKILL kills the server.
 */
export class ChildStack {
  readonly dataDir: string;
  /** The child's own temp folder (tsx keeps its compile cache there), removed with the data. */
  private readonly childTmp: string;
  child: ChildProcess | undefined;
  port = 0;

  constructor(
    name: string,
    private readonly env: Record<string, string> = {},
  ) {
    this.dataDir = mkdtempSync(join(tmpdir(), `wa-${name}-`));
    this.childTmp = mkdtempSync(join(tmpdir(), `wa-${name}-tmp-`));
    // The child stack's control-plane token (sandboxFetch falls back to this variable).
    process.env.SANDBOX_CONTROL_TOKEN = `${name}-${process.pid}-${Math.random().toString(36).slice(2)}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the stack (on the same port as before, after a kill) and waits until it answers. */
  async start(): Promise<string> {
    this.port ||= await freePort();
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts'], {
      env: {
        ...process.env,
        TMPDIR: this.childTmp,
        PORT: String(this.port),
        DATA_DIR: this.dataDir,
        LOG_LEVEL: 'ERROR',
        SCHEDULE_SECONDS: '0',
        ...this.env,
      },
      stdio: 'ignore',
      detached: true,
    });
    for (let i = 0; i < 150; i++) {
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return this.url;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('local stack did not start');
  }

  /**
   * `/wa <text>` as the admin. The child's fake Slack accepts only trigger ids and response_urls
   * it issued itself (as Slack does), so they come from the child, as the console gets them.
   */
  async command(text: string) {
    const res = await sandboxFetch(this.url, '/_sandbox/slack/issue', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    const issued = (await res.json()) as { trigger_id: string; response_url: string };
    return command(this.url, text, { trigger_id: issued.trigger_id, response_url: issued.response_url });
  }

  /** SIGKILL to the server's whole process group, then wait until it is gone; the pid killed. */
  async killNine(): Promise<number> {
    const pid = this.child?.pid as number;
    const exited = new Promise((r) => this.child?.once('exit', r));
    process.kill(-pid, 'SIGKILL');
    await exited;
    return pid;
  }

  /** Kills the stack if it still runs and removes its folders. */
  async close(): Promise<void> {
    if (this.child?.pid && alive(this.child.pid)) await this.killNine();
    rmSync(this.dataDir, { recursive: true, force: true });
    rmSync(this.childTmp, { recursive: true, force: true });
  }
}

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

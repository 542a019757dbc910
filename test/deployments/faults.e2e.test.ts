import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { config } from '../../src/config.js';
import { JobRepository, newJobId } from '../../src/jobs/repository.js';
import { vonageAuthHeader } from '../../src/providers/vonage/auth.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { seal } from '../../src/security/envelope.js';
import { tenantId } from '../../src/store/keys.js';
import { advance, deployCommand, startStack, texts, vonageState } from './support.js';

/**
 * The deployment job against a Vonage that throttles (429 + RFC 7807 `throttled`), errs (500)
 * and hangs (client timeout); a provisioning call that went through before a crash; and a
 * restart of the whole stack in the middle of a deployment.
 */

const stacks: LocalStack[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of stacks) await s.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Drives one deployment to READY, entering the right code once it is asked for. */
async function driveToReady(stack: LocalStack, number: string, maxPolls = 80): Promise<string> {
  let verified = false;
  for (let i = 0; i < maxPolls; i++) {
    const dep = (await vonageState(stack)).deployments.find(
      (d) => `+${d.country_code}${d.number}` === number,
    );
    const all = await texts(stack);
    if (dep && all.some((t) => t.includes('*ready to use*') && t.includes(dep.id))) return dep.id;
    if (dep && !verified && all.some((t) => t.includes(`verification code for deployment \`${dep.id}\``))) {
      await deployCommand(stack, `deploy verify ${dep.id} 123456`);
      verified = true;
    }
    await advance(stack);
  }
  throw new Error(`${number} did not reach READY`);
}

// Whole deployments with injected timeouts and stack restarts: minutes, not seconds, on a busy machine.
describe('under injected faults', { timeout: 90_000 }, () => {
  it('given SANDBOX_FAULT_RATE, when a deployment runs, then it survives 429s, 500s and timeouts to READY, provisioned once', async () => {
    const stack = await startStack({
      SANDBOX_FAULT_RATE: '0.35',
      SANDBOX_FAULT_SEED: '3',
      VONAGE_TIMEOUT_MS: '400',
    });
    stacks.push(stack);
    await deployCommand(stack, 'deploy start +31612340001 --waba 777001 --cert AbCdEFGHiJK123456');
    const id = await driveToReady(stack, '+31612340001');

    const vonage = await vonageState(stack);
    expect(vonage.stats.faults).toBeGreaterThan(0);
    expect(vonage.deployments.filter((d) => d.number === '612340001')).toHaveLength(1);
    const all = await texts(stack);
    // A poll that timed out may have moved the sandbox on unseen (as a real deployment moves on
    // between polls): what must hold is that the job got through, provisioned once, and said so.
    for (const state of ['CODE_SENT', 'READY']) {
      expect(all.some((t) => t.includes(id) && t.includes(state))).toBe(true);
    }
    expect(all.some((t) => t.includes(':x:'))).toBe(false);
    await stack.close();
    stacks.pop();
  });
});

describe('crash recovery', { timeout: 90_000 }, () => {
  it('given a provisioning call that went through before a crash, when the job runs again, then it adopts that deployment', async () => {
    const stack = await startStack({ SANDBOX_FAULT_RATE: '0', VONAGE_TIMEOUT_MS: '3000' });
    stacks.push(stack);
    const tenant = tenantId('T0SANDBOX');
    // Our first attempt reached Vonage, but the worker died before recording the answer.
    const first = await fetch(`${config().providers.vonage}/deployments`, {
      method: 'POST',
      headers: {
        ...(await vonageAuthHeader(SANDBOX_CREDENTIALS.vonage)),
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        country_code: '31',
        number: '612340002',
        vname_certificate: 'AbCdEFGHiJK123456',
        method: 'sms',
        waba_id: '777002',
      }),
    });
    expect(first.status).toBe(202);
    const { deployment_id } = (await first.json()) as { deployment_id: string };
    const now = Date.now();
    await new JobRepository().create({
      tenant,
      id: newJobId(now),
      kind: 'deployment',
      subject: 'Deployment of +31•••••02',
      state: 'waiting',
      attempts: 1,
      version: 3,
      createdAt: now,
      updatedAt: now,
      createdBy: 'U0ADMIN',
      dueAt: now,
      report: { channel: 'C0SANDBOX', userId: 'U0ADMIN' },
      payload: {
        mode: 'provision',
        countryCode: '31',
        number: '612340002',
        phone: '+31•••••02',
        wabaId: '777002',
        method: 'sms',
        sealed: await seal(tenant, JSON.stringify({ certificate: 'AbCdEFGHiJK123456' })),
      },
      data: {},
      effects: { provision: { status: 'started', at: now - 1000 } },
    });
    await advance(stack);
    const vonage = await vonageState(stack);
    expect(vonage.deployments.filter((d) => d.number === '612340002').map((d) => d.id)).toEqual([
      deployment_id,
    ]);
    expect((await texts(stack)).some((t) => t.includes(deployment_id) && !t.includes(':x:'))).toBe(true);
    await stack.close();
    stacks.pop();
  });

  it('given a deployment waiting for its code, when the whole stack restarts, then the job carries on to READY', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-deploy-'));
    dirs.push(dir);
    let stack = await startStack({ SANDBOX_FAULT_RATE: '0', VONAGE_TIMEOUT_MS: '3000' }, dir);
    stacks.push(stack);
    await deployCommand(stack, 'deploy start +31612340003 --waba 777003 --cert AbCdEFGHiJK123456');
    await advance(stack, 3);
    const id = (await vonageState(stack)).deployments[0]?.id as string;
    expect((await vonageState(stack)).deployments[0]?.state).toBe('CODE_SENT');
    await stack.close();
    stacks.pop();

    stack = await startStack({ SANDBOX_FAULT_RATE: '0', VONAGE_TIMEOUT_MS: '3000' }, dir);
    stacks.push(stack);
    expect((await vonageState(stack)).deployments.map((d) => d.state)).toEqual(['CODE_SENT']);
    const res = await deployCommand(stack, `deploy verify ${id} 123456`);
    expect(res.json.text).toMatch(/submitting the code/);
    expect(await driveToReady(stack, '+31612340003')).toBe(id);
    expect(
      (await vonageState(stack)).requests.filter((r) => r.method === 'POST' && r.pattern === '/deployments'),
    ).toHaveLength(0);
  });
});

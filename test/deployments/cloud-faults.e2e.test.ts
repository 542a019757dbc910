import { afterAll, describe, expect, it } from 'vitest';
import { ChildStack } from '../helpers/child-stack.js';
import { sandboxFetch, slackMessages } from '../helpers/slack.js';
import type { CloudNumber } from './support.js';

/**
 * The Cloud API flow with a share of every Graph call failing (SANDBOX_FAULT_RATE 0.3: 500s,
 * 429s, and answers that never come, half of them applied) and the whole stack killed with
 * SIGKILL while the number waits for its code, then started again on the same DATA_DIR. It ends
 * READY with the number added once and registered once. The stack runs as `npm start` runs it
 * (test/sandbox/restart.e2e.test.ts does the same for an invitation).
 */

const stack = new ChildStack('cloud-kill', {
  SANDBOX_FAULT_RATE: '0.3',
  SANDBOX_FAULT_SEED: process.env.CLOUD_FAULT_SEED ?? '25',
  META_CLOUD_TIMEOUT_MS: '500',
  DEPLOY_POLL_MS: '1000',
  DEPLOY_CODE_POLL_MS: '1000',
});
const childCommand = (_url: string, text: string) => stack.command(text);

async function numbers(url: string): Promise<CloudNumber[]> {
  const all = (await (await sandboxFetch(url, '/_sandbox/state')).json()) as {
    'meta-cloud': { numbers: CloudNumber[]; stats: { faults: number } };
  };
  return all['meta-cloud'].numbers;
}
async function faults(url: string): Promise<number> {
  const all = (await (await sandboxFetch(url, '/_sandbox/state')).json()) as {
    'meta-cloud': { stats: { faults: number } };
  };
  return all['meta-cloud'].stats.faults;
}

/** An hour of simulated time: every poll and every retry backoff that falls due runs, in order. */
async function anHour(url: string) {
  await sandboxFetch(url, '/_sandbox/clock', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advance: 'PT1H' }),
  });
}

const texts = async (url: string) => (await slackMessages(url)).map((m) => String(m.text ?? ''));

afterAll(async () => {
  await stack.close();
});

describe('the Cloud API flow under faults and a hard kill', () => {
  it('given 30% Graph faults, when the stack is killed -9 while the number waits for its code and started again, then it ends READY, added once and registered once', async () => {
    let url = await stack.start();
    const ack = await childCommand(
      url,
      'deploy start +447911123459 --via cloud --waba 123456789012345 --name "Acme Foods" --method sms --pin 246810',
    );
    expect(ack.json.text).toMatch(/On it: adding/);

    // Until the code is asked for (the job retries through the faults on its own).
    let id = '';
    for (let i = 0; i < 40 && !id; i++) {
      await anHour(url);
      const n = (await numbers(url))[0];
      if (n && (await texts(url)).some((t) => t.includes(`verification code for deployment \`${n.id}\``)))
        id = n.id;
    }
    expect(id).not.toBe('');

    await stack.killNine();
    url = await stack.start();

    // The person enters the code; a code request whose answer was lost may have sent nothing,
    // and then the person asks for another, as the prompt tells them.
    const verified = () => childCommand(url, `deploy verify ${id} 123456`);
    await verified();
    let resent = 0;
    let ready = false;
    for (let i = 0; i < 60 && !ready; i++) {
      await anHour(url);
      const all = await texts(url);
      ready = all.some((t) => t.includes('*ready to use*') && t.includes(id));
      const wrong = all.filter((t) =>
        t.includes(`That code was not accepted for deployment \`${id}\``),
      ).length;
      if (!ready && wrong > resent) {
        resent += 1;
        await childCommand(url, `deploy resend ${id}`);
        await anHour(url);
        await verified();
      }
    }
    expect(ready).toBe(true);
    expect(await faults(url)).toBeGreaterThan(0);
    const ours = (await numbers(url)).filter((n) => n.cc === '44' && n.phone_number === '7911123459');
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ status: 'CONNECTED', registrations: 1 });
    expect((await texts(url)).some((t) => t.includes('246810'))).toBe(false);
  }, 240_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, codeModal } from '../../src/deployments/messages.js';
import { JobRepository } from '../../src/jobs/repository.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { ownerOf } from '../../src/security/ownership.js';
import { tenantId } from '../../src/store/keys.js';
import { advanceUntil, deployCommand, startStack, vonageState } from '../deployments/support.js';
import { command, issueResponseUrl, issueTriggerId, postSlack, slackMessages } from '../helpers/slack.js';

/**
 * Provider objects are bound to the workspace that created them. A second workspace installed
 * on the same stack (and so on the same sandbox provider accounts, as an agency sharing one
 * Vonage account would be) names the first workspace's deployment and invite ids in every
 * command and button that takes one; each is answered like an unknown id, and nothing reaches
 * the provider or changes.
 */

let stack: LocalStack;
const A = 'T0SANDBOX';
const B = 'T0SECOND';
const figures = { tried: 0, held: 0 };

async function installSecondWorkspace() {
  const install = await fetch(`${stack.url}/slack/install`, { redirect: 'manual' });
  const cookie = install.headers.get('set-cookie')?.split(';')[0] ?? '';
  const authorize = new URL(install.headers.get('location') ?? '');
  authorize.searchParams.set('team', B);
  const back = await fetch(authorize, { redirect: 'manual' });
  const done = await fetch(back.headers.get('location') ?? '', { headers: { cookie } });
  expect(done.status).toBe(200);
}

beforeAll(async () => {
  stack = await startStack();
  await installSecondWorkspace();
});
afterAll(async () => {
  await stack?.close();
  console.info(`tenancy attack figures: ${JSON.stringify(figures)}`);
});

const UNKNOWN = /I do not know (a deployment|an invite)/;

/** B's admin runs `/wa <text>`; the answer must be "unknown" and nothing may run. */
async function fromB(text: string) {
  figures.tried++;
  const res = await command(stack.url, text, { team_id: B, team_domain: 'second', user_id: 'U0ADMIN' });
  await stack.drain();
  expect(res.json?.text ?? '', text).toMatch(UNKNOWN);
  figures.held++;
}

async function answersTo(responseUrlId: string) {
  return (await slackMessages(stack.url))
    .filter((m) => m.responseUrlId === responseUrlId)
    .map((m) => m.text ?? '')
    .join('\n');
}

function clickFromB(actionId: string, value: string, responseUrlId: string) {
  return postSlack(
    stack.url,
    `payload=${encodeURIComponent(
      JSON.stringify({
        type: 'block_actions',
        team: { id: B, domain: 'second' },
        api_app_id: 'A0SANDBOX',
        is_enterprise_install: false,
        user: { id: 'U0ADMIN', username: 'u0admin', name: 'u0admin', team_id: B },
        // Issued by the fake Slack, which refuses made-up ones as Slack would.
        trigger_id: issueTriggerId(),
        channel: { id: 'C0SECOND', name: 'general' },
        container: { type: 'message', message_ts: '1.000001', channel_id: 'C0SECOND', is_ephemeral: false },
        response_url: issueResponseUrl(stack.url, responseUrlId),
        actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: '1.1' }],
      }),
    )}`,
  );
}

async function jobsOf(team: string) {
  return new JobRepository().list(tenantId(team), { all: true, limit: 100 });
}

describe('a second workspace names the first one’s objects', () => {
  it('deployments: every command and button with the id is answered "unknown" and reaches nothing', async () => {
    await deployCommand(stack, 'deploy start +31612345678 --waba 123456789012 --cert AbCdEFGHiJK123456');
    const id = (await vonageState(stack)).deployments[0]?.id ?? '';
    expect(id).not.toBe('');
    await advanceUntil(stack, id, 'CODE_SENT');
    // The creating workspace is recorded as the owner.
    expect(await ownerOf('deployment', id)).toBe(A);

    const before = await vonageState(stack);
    const jobsBefore = (await jobsOf(B)).length;
    for (const text of [
      `deploy status ${id}`,
      `deploy verify ${id} 123456`,
      `deploy resend ${id}`,
      `deploy resend ${id} --method voice`,
      `deploy profile ${id}`,
      `deploy profile ${id} --about "taken over"`,
      `deploy photo ${id} https://images.example/p.png`,
      `deploy stickerpacks ${id}`,
      `deploy stickerpack-create ${id} --name Pack --publisher Evil`,
      `deploy delete ${id}`,
    ]) {
      await fromB(text);
    }
    for (const action of [ACTIONS.resendSms, ACTIONS.deleteConfirm, ACTIONS.enterCode]) {
      figures.tried++;
      const rid = `tenancy${action.replace(/\W/g, '')}`;
      const res = await clickFromB(action, id, rid);
      await stack.drain();
      expect(res.status).toBe(200);
      expect(await answersTo(rid), action).toMatch(UNKNOWN);
      figures.held++;
    }
    // The code form, submitted from B with A's deployment in its metadata.
    const modal = codeModal(id, 'C0SECOND');
    figures.tried++;
    const submitted = await postSlack(
      stack.url,
      `payload=${encodeURIComponent(
        JSON.stringify({
          type: 'view_submission',
          team: { id: B, domain: 'second' },
          api_app_id: 'A0SANDBOX',
          user: { id: 'U0ADMIN', team_id: B },
          trigger_id: issueTriggerId(),
          view: {
            id: 'VCODEB',
            team_id: B,
            type: 'modal',
            hash: 'h',
            callback_id: modal.callback_id,
            private_metadata: modal.private_metadata,
            state: { values: { code: { code: { type: 'plain_text_input', value: '123456' } } } },
          },
        }),
      )}`,
    );
    await stack.drain();
    expect(JSON.stringify(submitted.json)).toMatch(UNKNOWN);
    figures.held++;

    // Nothing reached Vonage for it, its state is unchanged, and B started no job.
    const after = await vonageState(stack);
    expect(after.deployments.find((d) => d.id === id)?.state).toBe('CODE_SENT');
    expect(after.requests.length).toBe(before.requests.length);
    expect((await jobsOf(B)).length).toBe(jobsBefore);

    // The owner still can.
    const mine = await deployCommand(stack, `deploy status ${id}`);
    expect(mine.json.text).toContain('On it');
  });

  it('invites and jobs: A’s job ids and provider ids are unknown to B, by command and by button', async () => {
    const res = await command(stack.url, 'invite partner "Acme Corp" --email ops@acme.test');
    await stack.drain();
    const jobId = /job `(j[0-9a-z]+)`/.exec(res.json.text ?? '')?.[1] ?? '';
    expect(jobId).not.toBe('');
    const job = await new JobRepository().get(tenantId(A), jobId);
    const stateBefore = job?.state;

    await fromB(`invite status ${jobId}`);
    await fromB(`invite cancel ${jobId}`);
    figures.tried++;
    await clickFromB('jobs:cancel', jobId, 'tenancycancel');
    await stack.drain();
    expect(await answersTo('tenancycancel')).not.toMatch(/cancelled/i);
    figures.held++;
    expect((await new JobRepository().get(tenantId(A), jobId))?.state).toBe(stateBefore);
  });
});

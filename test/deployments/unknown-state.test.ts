import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StepIO } from '../../src/jobs/kinds.js';
import type { Job, SlackMessage } from '../../src/jobs/model.js';
import { tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';

/**
 * Issue 11: a `current_state.title` Vonage may add later (not in the description's enum) must
 * not fail the deployment job nor tell anyone to delete it: it is shown with Vonage's own name,
 * and the job keeps polling.
 */

const backend = {
  label: 'Vonage',
  get: vi.fn(),
};
vi.mock('../../src/deployments/backends.js', () => ({
  backendFor: async () => backend,
  deploymentSettings: () => ({
    DEPLOY_POLL_MS: 20_000,
    DEPLOY_CODE_POLL_MS: 300_000,
    VONAGE_TIMEOUT_MS: 1000,
  }),
  resetDeploymentSettings: () => {},
}));

const { deploymentJob } = await import('../../src/deployments/job.js');

let table: Awaited<ReturnType<typeof startTestTable>>;
beforeAll(async () => {
  table = await startTestTable();
});
afterAll(async () => {
  await table?.close();
});

function io(now: number, said: string[]): StepIO {
  const record = async (m: SlackMessage) => {
    said.push(m.text);
  };
  return {
    now,
    inbox: [],
    effect: async (_k, call) => call(),
    progress: record,
    post: record,
    ephemeral: record,
    answer: record,
    permalink: async () => undefined,
    link: async () => {},
  };
}

const job = (createdAt: number) =>
  ({
    tenant: tenantId('T0UNKNOWN'),
    id: 'job-1',
    kind: 'deployment',
    subject: 'Deployment',
    state: 'running',
    attempts: 0,
    version: 1,
    createdAt,
    updatedAt: createdAt,
    createdBy: 'U0ADMIN',
    report: { channel: 'C1' },
    payload: { mode: 'follow', deploymentId: 'dep-1', phone: '+44•••00' },
    data: { deploymentId: 'dep-1', linked: true, state: 'FINALIZING', history: ['FINALIZING'] },
    effects: {},
  }) as unknown as Job<never, never>;

describe('a deployment in a state we do not know', () => {
  it('is followed as in progress: shown with Vonage’s name, polled again, never failed nor "delete"', async () => {
    backend.get.mockResolvedValue({ id: 'dep-1', state: 'UNKNOWN', title: 'MIGRATING_TO_CLOUD_API' });
    const now = Date.UTC(2026, 11, 2, 12);
    const said: string[] = [];
    const result = await deploymentJob.step(job(now - 60_000), io(now, said));
    expect(result).toMatchObject({ type: 'wait', until: now + 20_000, data: { state: 'UNKNOWN' } });
    expect(said.join('\n')).toContain('Vonage says MIGRATING_TO_CLOUD_API');
    expect(said.join('\n')).not.toMatch(/delete|failed/i);
  });

  it('after a week in it, the job stops following without failing, and says how to look again', async () => {
    backend.get.mockResolvedValue({ id: 'dep-1', state: 'UNKNOWN', title: 'MIGRATING_TO_CLOUD_API' });
    const now = Date.UTC(2026, 11, 2, 12);
    const result = await deploymentJob.step(job(now - 8 * 86_400_000), io(now, []));
    expect(result.type).toBe('cancelled');
    expect((result as { reason: string }).reason).toMatch(/\/wa deploy status dep-1/);
  });
});

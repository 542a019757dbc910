import { deliverEvent, jobIdForRef } from '../jobs/deliver.js';
import type { Job } from '../jobs/model.js';
import { startJob } from '../jobs/service.js';
import { seal } from '../security/envelope.js';
import { assertOwned } from '../security/ownership.js';
import type { CommandContext } from '../slack/command.js';
import type { DeploymentData, DeploymentEvent, StoredDeploymentEvent } from './job.js';
import type { DeploymentPayload, TaskPayload } from './kinds.js';
import { deploymentKind, deploymentTaskKind, OTP_PURPOSE } from './kinds.js';
import { DEPLOYMENT_REF } from './port.js';
import { getRecord, markPending, type PendingRequest, type RequestKey } from './records.js';

/**
 * What people ask of a deployment, on the ack path: no provider call here. A request goes to
 * the job that follows the deployment (its inbox, which also wakes it); when no job follows it
 * any more (READY long ago, or a deployment from before), a new job picks it up.
 */
type Ctx = Pick<CommandContext, 'tenant' | 'userId' | 'channelId' | 'responseUrl'>;

/**
 * Every command and button that names a deployment comes through here (or startTask): a
 * deployment another workspace created is answered like one that does not exist.
 */
export async function assertOwnDeployment(tenant: Ctx['tenant'], id: string): Promise<void> {
  await assertOwned(tenant, 'deployment', id, 'a deployment', async () =>
    Boolean(await getRecord(tenant, id)),
  );
}

/** The request's key for coalescing: a resend is identical only by the same method. */
export function requestKey(request: DeploymentEvent): RequestKey {
  return request.type === 'resend' ? `resend_${request.data.method}` : request.type;
}

/**
 * Hands a person's request to the job following the deployment (or a new one). An identical
 * request still pending or in flight (a double click, the same code submitted twice) is not sent
 * again: the answer is `coalesced`, with who asked and when, and nothing reaches the provider.
 * A code is "identical" to any code being checked: one at a time per deployment.
 */
export async function sendToDeployment(
  ctx: Ctx,
  id: string,
  request: DeploymentEvent,
): Promise<{ jobId: string; resumed: boolean; coalesced?: PendingRequest }> {
  await assertOwnDeployment(ctx.tenant, id);
  const gate = await markPending(ctx.tenant, id, requestKey(request), ctx.userId);
  if (typeof gate === 'object') {
    const record = await getRecord(ctx.tenant, id);
    return { jobId: record?.jobId ?? '?', resumed: false, coalesced: gate.pending };
  }
  // The OTP is a one-time secret: it is sealed for the workspace (like the certificate and PIN)
  // before it is stored anywhere, in the job's inbox or its data, and opened only to call verify.
  const event: StoredDeploymentEvent =
    request.type === 'otp'
      ? {
          type: 'otp',
          data: {
            sealedCode: await seal(ctx.tenant, request.data.code, undefined, OTP_PURPOSE),
            userId: request.data.userId,
          },
        }
      : request;
  if (await deliverEvent(ctx.tenant, DEPLOYMENT_REF, id, event)) {
    return { jobId: (await jobIdForRef(ctx.tenant, DEPLOYMENT_REF, id)) ?? '?', resumed: false };
  }
  const seed: Partial<DeploymentData> =
    event.type === 'otp'
      ? { sealedCode: event.data.sealedCode, codeBy: event.data.userId, codeSeq: 1 }
      : event.type === 'resend'
        ? { pendingResend: event.data.method, resendSeq: 1 }
        : { deleteRequested: true, deleteSeq: 1 };
  const record = await getRecord(ctx.tenant, id);
  const payload: DeploymentPayload = {
    mode: 'follow',
    deploymentId: id,
    phone: record?.phone,
    via: record?.via ?? 'vonage',
  };
  // The new job continues the deployment's card (revival): it starts from the last known state
  // and keeps the same card current, so the card never stays at an old state.
  const known: Partial<DeploymentData> = record
    ? { deploymentId: id, state: record.state, detail: record.detail, history: [record.state] }
    : {};
  const job: Job<DeploymentPayload> = await startJob(ctx, {
    kind: deploymentKind,
    subject: `Deployment ${id}${record?.phone ? ` (${record.phone})` : ''}`,
    payload,
    data: { ...known, ...seed },
    ...(record?.channel && record.threadTs
      ? { card: { channel: record.channel, ts: record.threadTs } }
      : await threadOf(ctx, id)),
  });
  return { jobId: job.id, resumed: true };
}

const READ_ONLY: ReadonlySet<TaskPayload['op']> = new Set(['status', 'profile-get', 'stickerpacks']);

/**
 * A one-shot request. A change is reported in the deployment's thread; a read-only query is
 * answered to the asker alone, with a link to the deployment's card.
 */
export async function startTask(ctx: Ctx, request: TaskPayload, subject: string) {
  await assertOwnDeployment(ctx.tenant, request.deploymentId);
  const record = await getRecord(ctx.tenant, request.deploymentId);
  const payload = { ...request, via: record?.via ?? 'vonage' } as TaskPayload;
  if (READ_ONLY.has(payload.op)) {
    const card =
      record?.channel && record.threadTs ? { channel: record.channel, ts: record.threadTs } : undefined;
    return startJob(ctx, {
      kind: deploymentTaskKind,
      subject,
      payload: { ...payload, ...(card ? { card } : {}) } as TaskPayload,
      query: true,
    });
  }
  return startJob(ctx, {
    kind: deploymentTaskKind,
    subject,
    payload,
    ...(await threadOf(ctx, payload.deploymentId)),
  });
}

/** Follow-ups go in the deployment's own thread when asked in the same channel. */
async function threadOf(ctx: Ctx, id: string): Promise<{ threadTs?: string }> {
  const record = await getRecord(ctx.tenant, id);
  return record?.threadTs && record.channel === ctx.channelId ? { threadTs: record.threadTs } : {};
}

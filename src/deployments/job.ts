import type { JobKind, StepIO } from '../jobs/kinds.js';
import type { InboxEvent, Job, StepResult } from '../jobs/model.js';
import { logger } from '../log.js';
import { DecryptionError, open } from '../security/envelope.js';
import { claimObject, ownerOf } from '../security/ownership.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { backendFor, deploymentSettings } from './backends.js';
import { type DeploymentPayload, deploymentKind, deploymentPayload, OTP_PURPOSE } from './kinds.js';

import { codePrompt, deploymentCard, wrongCodeMessage } from './messages.js';
import {
  AWAITING_CODE,
  DEPLOYMENT_REF,
  type DeploymentState,
  type OtpMethod,
  type ProvisioningBackend,
  type ProvisionRequest,
  type ProvisionResult,
  UNKNOWN_STATE,
} from './port.js';
import { saveRecord, updateRecordState } from './records.js';

/**
 * One deployment from provisioning (or from the moment we start following it) to READY,
 * DELETED or ERROR. Requests from people (a code, a resend, a delete) arrive as inbox events
 * (which also wake the job), are kept in the job's data until done, and are carried out one
 * per run, each behind `io.effect` with a reconcile, so a retry never repeats one that went
 * through. A run with nothing to do polls the deployment: the provider sends no callbacks.
 */

export type DeploymentData = {
  deploymentId?: string | undefined;
  linked?: boolean | undefined;
  state?: DeploymentState | undefined;
  detail?: string | undefined;
  history?: string[] | undefined;
  prompted?: boolean | undefined;
  /** The OTP waiting to be verified, sealed for the tenant (`OTP_PURPOSE`); dropped once used. */
  sealedCode?: string | undefined;
  codeBy?: string | undefined;
  codeSeq?: number | undefined;
  wrongTold?: number | undefined;
  pendingResend?: OtpMethod | undefined;
  resendSeq?: number | undefined;
  deleteRequested?: boolean | undefined;
  deleteSent?: boolean | undefined;
  deleteSeq?: number | undefined;
};

/** What people ask of a deployment job (`sendToDeployment`). */
export type DeploymentEvent =
  | { type: 'otp'; data: { code: string; userId: string } }
  | { type: 'resend'; data: { method: OtpMethod; userId: string } }
  | { type: 'delete'; data: { userId: string } };

/** The same, as kept in the job's inbox: the code sealed, never in plain text. */
export type StoredDeploymentEvent =
  | { type: 'otp'; data: { sealedCode: string; userId: string } }
  | Exclude<DeploymentEvent, { type: 'otp' }>;

/** A deployment that waits for a code this long without one is left (verify picks it up again). */
const CODE_WAIT_MAX_MS = 7 * 86_400_000;

type DJob = Job<DeploymentPayload, DeploymentData>;
type Result = StepResult<DeploymentData>;

export function absorb(data: DeploymentData, inbox: InboxEvent[]): Partial<DeploymentData> {
  const patch: Partial<DeploymentData> = {};
  let codeSeq = data.codeSeq ?? 0;
  let resendSeq = data.resendSeq ?? 0;
  let deleteSeq = data.deleteSeq ?? 0;
  for (const event of inbox) {
    const e = (event.data ?? {}) as { sealedCode?: unknown; method?: unknown; userId?: unknown };
    const by = typeof e.userId === 'string' ? e.userId : undefined;
    if (event.type === 'otp' && typeof e.sealedCode === 'string') {
      Object.assign(patch, { sealedCode: e.sealedCode, codeBy: by, codeSeq: ++codeSeq });
    } else if (event.type === 'resend') {
      Object.assign(patch, { pendingResend: e.method === 'voice' ? 'voice' : 'sms', resendSeq: ++resendSeq });
    } else if (event.type === 'delete' && !data.deleteSent) {
      Object.assign(patch, { deleteRequested: true, deleteSeq: ++deleteSeq });
    }
  }
  return patch;
}

const phoneOf = (job: DJob) => job.payload.phone ?? 'the number';

async function provision(job: DJob, io: StepIO, backend: ProvisioningBackend): Promise<Result> {
  const p = job.payload;
  if (p.mode !== 'provision') throw new Error('provision() needs a provision payload');
  await io.progress(deploymentCard(job));
  const secrets = JSON.parse(await open(job.tenant, p.sealed)) as { certificate: string; pin?: string };
  const request: ProvisionRequest = {
    countryCode: p.countryCode,
    number: p.number,
    wabaId: p.wabaId,
    method: p.method,
    certificate: secrets.certificate,
    pin: secrets.pin,
  };
  const result = await io.effect(
    'provision',
    () => backend.provision(request),
    () => reconcileProvision(backend, request),
  );
  if (result.kind === 'number-in-use') {
    // Another workspace's deployment id is not told (it could be used nowhere here anyway).
    const existingId =
      result.existingId && (await ownerOf('deployment', result.existingId)) === job.tenant
        ? result.existingId
        : undefined;
    const where = existingId ? `deployment \`${existingId}\`` : 'another deployment';
    const next = existingId
      ? ` Use the existing deployment: \`/wa deploy status ${existingId}\`.`
      : ' Use the existing deployment, or delete it first.';
    return {
      type: 'fail',
      reason: `${p.phone} is already in use by ${where} (number-in-use).${next}`,
    };
  }
  const dep = result.deployment;
  // This workspace created it: from now on only this workspace can name it (src/security/ownership.ts).
  if (!(await claimObject(job.tenant, 'deployment', dep.id))) {
    return {
      type: 'fail',
      reason: `the provider answered with a deployment (\`${dep.id}\`) that another workspace created; nothing was changed on it.`,
    };
  }
  await io.link(DEPLOYMENT_REF, dep.id);
  await saveRecord(
    job.tenant,
    {
      deploymentId: dep.id,
      jobId: job.id,
      phone: p.phone,
      wabaId: p.wabaId,
      state: dep.state,
      detail: dep.detail,
      createdBy: job.createdBy,
      // The reporter keeps the job's report current: the progress message above is the thread.
      channel: job.report.channel,
      threadTs: job.report.threadTs,
      createdAt: io.now,
      updatedAt: io.now,
    },
    `+${p.countryCode}${p.number}`,
  );
  const data: Partial<DeploymentData> = {
    deploymentId: dep.id,
    linked: true,
    state: dep.state,
    detail: dep.detail,
    history: [dep.state],
  };
  await io.progress(deploymentCard({ ...job, data: { ...job.data, ...data } }));
  return { type: 'wait', until: io.now + deploymentSettings().DEPLOY_POLL_MS, data };
}

/**
 * The POST may have gone through before a crash or a timeout. The API has no search, but
 * provisioning the same number again answers `number-in-use` with the existing deployment's
 * id: when that deployment is for our number and WABA, it is our own earlier attempt.
 */
async function reconcileProvision(
  backend: ProvisioningBackend,
  request: ProvisionRequest,
): Promise<ProvisionResult> {
  const again = await backend.provision(request);
  if (again.kind === 'created' || !again.existingId) return again;
  const existing = await backend.get(again.existingId);
  const same = (a: string | undefined, b: string) => a === undefined || a === b;
  const ours =
    same(existing.wabaId, request.wabaId) &&
    same(existing.countryCode, request.countryCode) &&
    same(existing.number, request.number);
  return ours ? { kind: 'created', deployment: existing } : again;
}

async function act(
  job: DJob,
  io: StepIO,
  backend: ProvisioningBackend,
  id: string,
): Promise<Result | undefined> {
  const d = job.data;
  const now = io.now;
  if (d.deleteRequested && !d.deleteSent) {
    const out = await io.effect(
      `delete:${d.deleteSeq ?? 1}`,
      () => backend.remove(id),
      // A delete that went through before a crash shows in the deployment's state.
      async () => {
        const dep = await backend.get(id);
        return dep.state === 'DELETING' || dep.state === 'DELETED' ? { ok: true as const } : undefined;
      },
    );
    if (out.ok) {
      await io.post({ text: `:wastebasket: Deleting deployment \`${id}\`; I will say when it is gone.` });
      return { type: 'wait', until: now, data: { deleteRequested: false, deleteSent: true } };
    }
    if (out.reason === 'not-found') {
      await updateRecordState(job.tenant, id, { state: 'DELETED', detail: 'not found' });
      return {
        type: 'done',
        data: { deleteRequested: false },
        progress: {
          text: `:wastebasket: ${backend.label} no longer knows deployment \`${id}\`: nothing to delete.`,
        },
      };
    }
    await io.post({
      text: `:hourglass: ${backend.label} cannot delete deployment \`${id}\` right now: it is in a transitional state${out.detail ? ` (${esc(out.detail)})` : ''} (conflict-deployment-state). If it is already being deleted, nothing more is needed; otherwise wait for it to settle and run \`/wa deploy delete ${id}\` again. I keep following it.`,
    });
    return { type: 'wait', until: now, data: { deleteRequested: false } };
  }
  if (d.deleteSent) {
    // Codes and resends no longer mean anything for a deployment being deleted.
    if (d.sealedCode || d.pendingResend) {
      return { type: 'wait', until: now, data: { sealedCode: undefined, pendingResend: undefined } };
    }
    return undefined;
  }
  if (d.pendingResend) {
    const method = d.pendingResend;
    const out = await io.effect(`resend:${d.resendSeq ?? 1}`, () => backend.resendOtp(id, method));
    await io.post({
      text: out.ok
        ? `:arrows_counterclockwise: A new code for deployment \`${id}\` is on its way by ${method === 'voice' ? 'voice call' : 'SMS'}.`
        : `:information_source: ${backend.label} would not send a new code for deployment \`${id}\`${out.detail ? ` (${esc(out.detail)})` : ''} (conflict-resend-otp): it has either finished or is in an error state. In an error state, delete it (\`/wa deploy delete ${id}\`) and start again. I keep following it.`,
    });
    return { type: 'wait', until: now, data: { pendingResend: undefined } };
  }
  if (d.sealedCode) {
    const seq = d.codeSeq ?? 1;
    let code: string;
    try {
      code = await open(job.tenant, d.sealedCode, undefined, OTP_PURPOSE);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      // Not ours (another workspace's, or tampered with): drop it and ask again.
      await io.post({
        text: `:warning: The code entered for deployment \`${id}\` could not be read. Enter it again with \`/wa deploy verify ${id} <code>\`.`,
      });
      return { type: 'wait', until: now, data: { sealedCode: undefined } };
    }
    const out = await io.effect(
      `verify:${seq}`,
      () => backend.verify(id, code),
      // A verify that went through before a crash shows in the deployment's state.
      async () => {
        const dep = await backend.get(id);
        return AWAITING_CODE.includes(dep.state) ? undefined : { ok: true as const };
      },
    );
    if (out.ok) {
      await io.post({
        text: `:white_check_mark: Code accepted for deployment \`${id}\`${d.codeBy ? ` (entered by ${mention(d.codeBy)})` : ''}. ${backend.label} is finishing the deployment.`,
      });
      return { type: 'wait', until: now, data: { sealedCode: undefined } };
    }
    await io.post(wrongCodeMessage(id, out.detail));
    return { type: 'wait', until: now, data: { sealedCode: undefined, wrongTold: seq } };
  }
  return undefined;
}

async function poll(job: DJob, io: StepIO, backend: ProvisioningBackend, id: string): Promise<Result> {
  const d = job.data;
  const settings = deploymentSettings();
  const got = await backend.get(id);
  // A state we do not know is taken as still in progress: shown with the provider's own name,
  // logged once, and followed like any other (never a failure, never "delete it").
  const dep =
    got.state === UNKNOWN_STATE
      ? {
          ...got,
          detail: [`${backend.label} says ${got.title ?? '(none)'}`, got.detail].filter(Boolean).join(': '),
        }
      : got;
  const changed = dep.state !== d.state || dep.detail !== d.detail;
  if (changed && dep.state === UNKNOWN_STATE) {
    logger.warn('deployment in a state we do not know; following it as in progress', {
      jobId: job.id,
      deploymentId: id,
      title: got.title,
    });
  }
  const data: Partial<DeploymentData> = { state: dep.state, detail: dep.detail };
  if (dep.state !== d.state) data.history = [...(d.history ?? []), dep.state].slice(-14);
  const phone = phoneOf(job);
  if (changed) {
    await updateRecordState(job.tenant, id, { state: dep.state, detail: dep.detail, jobId: job.id });
    await io.progress(deploymentCard({ ...job, data: { ...d, ...data } }));
  }
  switch (dep.state) {
    case 'READY':
      await io.post({
        text: `:tada: ${esc(phone)} is *ready to use* on WhatsApp (deployment \`${id}\`). Set its business profile with \`/wa deploy profile ${id} --about ...\`.`,
      });
      return { type: 'done', data };
    case 'DELETED':
      await io.post({ text: `:wastebasket: Deployment \`${id}\` is deleted.` });
      return { type: 'done', data };
    case 'ERROR':
      return {
        type: 'fail',
        data,
        reason: `${backend.label} reports the deployment failed: ${esc(dep.detail ?? 'no detail given')}. Fix the cause (a wrong --cert or --waba is the usual one), delete it with \`/wa deploy delete ${id}\` and start again with \`/wa deploy start\`.`,
      };
    case 'CODE_SENT':
      if (!d.prompted) {
        await io.post(codePrompt(id, job.createdBy));
        data.prompted = true;
      }
      break;
    case 'WRONG_CODE':
      if (d.wrongTold !== (d.codeSeq ?? 0)) {
        await io.post(wrongCodeMessage(id, dep.detail));
        data.wrongTold = d.codeSeq ?? 0;
      }
      break;
    default:
  }
  const awaiting = AWAITING_CODE.includes(dep.state);
  if (awaiting && io.now - job.createdAt > CODE_WAIT_MAX_MS) {
    return {
      type: 'cancelled',
      data,
      reason: `no code was entered for a week. When you have one, \`/wa deploy verify ${id} <code>\` picks the deployment up again.`,
    };
  }
  if (dep.state === UNKNOWN_STATE && io.now - job.createdAt > CODE_WAIT_MAX_MS) {
    return {
      type: 'cancelled',
      data,
      reason: `${backend.label} has kept it in a state we do not know (${got.title ?? 'none'}) for a week; I stopped following it. \`/wa deploy status ${id}\` looks again.`,
    };
  }
  return {
    type: 'wait',
    until: io.now + (awaiting ? settings.DEPLOY_CODE_POLL_MS : settings.DEPLOY_POLL_MS),
    data,
  };
}

export const deploymentJob: JobKind<DeploymentPayload, DeploymentData> = {
  kind: deploymentKind.id,
  payload: deploymentPayload,
  async step(job, io) {
    // Requests that arrived are merged into the data first. The engine keeps the inbox when a
    // run fails transiently, and merging the same events into the same data gives the same
    // sequence numbers, so the effect keys below stay the same across retries.
    //
    // The merged data is a copy: the job's own `data` is what gets stored when the step throws,
    // so a failed run keeps neither a second merge of the same events (their sequence numbers,
    // hence the effect keys, stay put) nor the sealed code (the inbox still has it for a retry,
    // and is dropped when the job fails).
    const patch: Partial<DeploymentData> = io.inbox.length > 0 ? absorb(job.data, io.inbox) : {};
    let current: DJob = { ...job, data: { ...job.data, ...patch } };
    const backend = await backendFor(job.tenant);
    const id =
      current.data.deploymentId ??
      (current.payload.mode === 'follow' ? current.payload.deploymentId : undefined);
    let result: Result;
    if (!id) result = await provision(current, io, backend);
    else if (!current.data.linked) {
      await io.link(DEPLOYMENT_REF, id);
      Object.assign(patch, { deploymentId: id, linked: true });
      current = { ...current, data: { ...current.data, deploymentId: id, linked: true } };
      result = (await act(current, io, backend, id)) ?? { type: 'wait', until: io.now };
    } else result = (await act(current, io, backend, id)) ?? (await poll(current, io, backend, id));
    const data: Partial<DeploymentData> = { ...patch, ...result.data };
    // A finished job keeps no code, not even sealed.
    if (result.type !== 'wait' && (data.sealedCode || job.data.sealedCode)) {
      data.sealedCode = undefined;
    }
    return { ...result, data };
  },
  card: (job) => deploymentCard(job),
  failureMessage(job, reason) {
    const id = job.data.deploymentId;
    return {
      text: `:x: Deployment${id ? ` \`${id}\`` : ''} for ${esc(phoneOf(job))}: ${reason}`,
    };
  },
};

export default deploymentJob;

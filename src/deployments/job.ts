import { ProviderError } from '../http/errors.js';
import type { JobKind, StepIO } from '../jobs/kinds.js';
import type { InboxEvent, Job, StepResult } from '../jobs/model.js';
import { logger } from '../log.js';
import { rememberSecretValues } from '../redaction.js';
import { DecryptionError, open } from '../security/envelope.js';
import { claimObject, ownerOf } from '../security/ownership.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { backendFor, deploymentSettings } from './backends.js';
import {
  type DeploymentPayload,
  deploymentKind,
  deploymentPayload,
  META_ACCOUNT_EVENT,
  META_NAME_EVENT,
  META_NUMBER_REF,
  META_WABA_REF,
  metaNumberRef,
  OTP_PURPOSE,
} from './kinds.js';
import {
  codePrompt,
  deploymentCard,
  generatedPinMessage,
  registerRefusal,
  resendRefusal,
  wrongCodeMessage,
} from './messages.js';
import {
  AWAITING_CODE,
  type ClientSteps,
  DEPLOYMENT_REF,
  type DeploymentState,
  type OtpMethod,
  type ProvisioningBackend,
  type ProvisionRequest,
  type ProvisionResult,
  UNKNOWN_STATE,
  VERIFIED_STATES,
} from './port.js';
import { clearPending, getRecord, saveRecord, updateRecordState } from './records.js';

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
  /** Cloud API: a code was asked for in this round (a round ends when Meta wants the number verified again). */
  codeAsked?: boolean | undefined;
  codeRound?: number | undefined;
  /** Cloud API: when we last asked Meta for a code, for our own gap between requests. */
  codeAt?: number | undefined;
  /** Cloud API: what Meta's webhooks said since the last run, to be told (see `metaNews`). */
  metaNews?: Array<{ kind: 'name' | 'account'; words: string }> | undefined;
  /** Cloud API: attempts at this round's code request that Meta answered with an error (nothing sent). */
  codeTry?: number | undefined;
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
/**
 * Our own gap between two code requests for one number on the Cloud API. Meta documents no
 * number for code requests, only error 136024 when it will not send one.
 * UNCONFIRMED(meta-cloud.code-request-limit): a minute between requests stays inside Meta's limit.
 */
export const CODE_REQUEST_GAP_MS = 60_000;

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
      const method = e.method === 'voice' ? 'voice' : 'sms';
      // The same resend still pending (not yet sent) is the same request: one call, one effect key.
      if ((patch.pendingResend ?? data.pendingResend) === method) continue;
      Object.assign(patch, { pendingResend: method, resendSeq: ++resendSeq });
    } else if (event.type === 'delete' && !data.deleteSent) {
      if (patch.deleteRequested ?? data.deleteRequested) continue;
      Object.assign(patch, { deleteRequested: true, deleteSeq: ++deleteSeq });
    } else if (event.type === META_NAME_EVENT || event.type === META_ACCOUNT_EVENT) {
      const words = metaWords(event.type, event.data);
      if (words) {
        const news = patch.metaNews ?? data.metaNews ?? [];
        patch.metaNews = [...news, { kind: event.type === META_NAME_EVENT ? 'name' : 'account', words }];
      }
    }
  }
  return patch;
}

const NAME_REASONS: Record<string, string> = {
  NAME_EMPLOYEE_ISSUE: "it includes a person's name or an employee identifier",
  NAME_ENDCLIENT_NOTRELATED: "it includes an unrelated business's name",
  NAME_FORMAT_UNACCEPTABLE: 'its format is not accepted',
  NAME_INDIVIDUAL_ISSUE: "it includes a person's name",
  NAME_NOT_CONSISTENT: "it is not consistent with the business's branding",
  UNKNOWN: 'Meta gives no reason (contact Meta support)',
};

/**
 * Meta's words, as ours: `phone_number_name_update` (decision APPROVED, DEFERRED, PENDING or
 * REJECTED, with a rejection reason;
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_name_update)
 * and `account_update` (an `event`, with `ban_info` for DISABLED_UPDATE and `violation_info`
 * for ACCOUNT_VIOLATION; https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update).
 * Only the values the webhook module checked arrive here.
 */
function metaWords(type: string, data: unknown): string | undefined {
  const v = (data ?? {}) as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  if (type === META_NAME_EVENT) {
    const name = esc(str(v.requested_verified_name) ?? 'the display name');
    switch (str(v.decision)) {
      case 'APPROVED':
        return `:white_check_mark: Meta approved the display name “${name}”: it now shows at the top of the number's profile.`;
      case 'REJECTED': {
        const reason = str(v.rejection_reason);
        return `:warning: Meta rejected the display name “${name}”${reason ? `: ${NAME_REASONS[reason] ?? esc(reason)}` : ''}. Edit it in WhatsApp Manager › Phone numbers (it is reviewed again); the number works meanwhile under its phone number.`;
      }
      case 'PENDING':
      case 'DEFERRED':
        return `:hourglass: Meta's review of the display name “${name}” is ${str(v.decision)?.toLowerCase()}; I say when it is decided.`;
      default:
        return undefined;
    }
  }
  const event = str(v.event);
  if (!event) return undefined;
  const ban = (v.ban_info ?? {}) as Record<string, unknown>;
  const violation = (v.violation_info ?? {}) as Record<string, unknown>;
  const more = [str(ban.waba_ban_state), str(violation.violation_type)]
    .filter(Boolean)
    .map((x) => esc(x as string));
  return `:information_source: Meta updated the WhatsApp Business Account: ${esc(event)}${more.length ? ` (${more.join(', ')})` : ''}. I read the number again.`;
}

const phoneOf = (job: DJob) => job.payload.phone ?? 'the number';

async function provision(job: DJob, io: StepIO, backend: ProvisioningBackend): Promise<Result> {
  const p = job.payload;
  if (p.mode !== 'provision') throw new Error('provision() needs a provision payload');
  await io.progress(deploymentCard(job));
  const secrets = await openSecrets(job);
  const request: ProvisionRequest = {
    countryCode: p.countryCode,
    number: p.number,
    wabaId: p.wabaId,
    method: p.method,
    certificate: secrets.certificate,
    displayName: p.name,
    // Vonage takes the PIN with the deployment; the Cloud API only at registration.
    pin: backend.steps ? undefined : secrets.pin,
  };
  const steps = backend.steps;
  let result = await io.effect(
    'provision',
    () => backend.provision(request),
    // The Cloud API lists the WABA's numbers: one added before a crash is found there.
    steps
      ? async () => {
          const found = await steps.find(request);
          return found ? ({ kind: 'created', deployment: found } as const) : undefined;
        }
      : () => reconcileProvision(backend, request),
  );
  let adopted = false;
  if (result.kind === 'number-in-use' && steps && result.existing) {
    // On the Cloud API a number already on the client's WABA that no workspace follows was added
    // there by hand (WhatsApp Manager): our token controls that WABA, so it is taken from there.
    // One this workspace follows, or another workspace's, is refused below as before.
    if (!(await ownerOf('deployment', result.existing.id))) {
      result = { kind: 'created', deployment: result.existing };
      adopted = true;
    }
  }
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
  if (steps) {
    await io.link(META_NUMBER_REF, metaNumberRef(p.wabaId, `${p.countryCode}${p.number}`));
    await io.link(META_WABA_REF, p.wabaId);
  }
  await saveRecord(
    job.tenant,
    {
      deploymentId: dep.id,
      jobId: job.id,
      phone: p.phone,
      wabaId: p.wabaId,
      via: p.via,
      ...(steps ? { sealed: p.sealed } : {}),
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
  if (adopted) {
    await io.post({
      text: `:information_source: ${esc(p.phone)} was already on WABA ${esc(p.wabaId)} (added in WhatsApp Manager, most likely) as \`${dep.id}\`: I take it from there, without adding it again.`,
    });
  }
  const data: Partial<DeploymentData> = {
    deploymentId: dep.id,
    linked: true,
    state: dep.state,
    detail: dep.detail,
    history: [dep.state],
  };
  await io.progress(deploymentCard({ ...job, data: { ...job.data, ...data } }));
  // On the Cloud API the next call is ours (ask for the code): at once, not after a poll interval.
  return { type: 'wait', until: steps ? io.now : io.now + deploymentSettings().DEPLOY_POLL_MS, data };
}

type Secrets = { certificate?: string; pin?: string; pinGenerated?: boolean };

/** The sealed start secrets (certificate, PIN); the PIN is blanked in any log line from here on. */
async function openSecrets(job: DJob, id?: string): Promise<Secrets> {
  // A job that picked the deployment up later finds the sealed secrets on its record.
  const sealed =
    job.payload.mode === 'provision'
      ? job.payload.sealed
      : id
        ? (await getRecord(job.tenant, id))?.sealed
        : undefined;
  if (!sealed) return {};
  const secrets = JSON.parse(await open(job.tenant, sealed)) as Secrets;
  rememberSecretValues({ pin: secrets.pin, certificate: secrets.certificate });
  return secrets;
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
  if (d.metaNews?.length) {
    // A webhook is a hint: told as Meta said it, then the poll reads the number again.
    for (const news of d.metaNews) await io.post({ text: `${news.words} (deployment \`${id}\`)` });
    return { type: 'wait', until: now, data: { metaNews: undefined } };
  }
  if (d.deleteRequested && !d.deleteSent) {
    const out = await io.effect(
      `delete:${d.deleteSeq ?? 1}`,
      () => backend.remove(id),
      // A delete that went through before a crash shows in the deployment's state.
      async () => {
        const dep = await backend.get(id);
        // A deregistered number is no longer CONNECTED; one never registered has nothing to
        // deregister either way, so calling again only gets 133010.
        const gone = backend.steps
          ? dep.state !== 'READY'
          : dep.state === 'DELETING' || dep.state === 'DELETED';
        return gone ? { ok: true as const } : undefined;
      },
    );
    // The outcome is told below: an identical request from now on is a new one.
    await clearPending(job.tenant, id, 'delete');
    if (out.ok && backend.steps) {
      // Deregistering answers at once: the number no longer works on the Cloud API (it stays on the WABA).
      await updateRecordState(job.tenant, id, { state: 'DELETED', detail: 'deregistered' });
      return {
        type: 'done',
        data: { deleteRequested: false, deleteSent: true, state: 'DELETED', detail: 'deregistered' },
        progress: {
          text: `:wastebasket: Deployment \`${id}\` is deregistered: the number no longer works on the WhatsApp Cloud API. It stays on the WhatsApp Business Account; remove it there in WhatsApp Manager if it should go.`,
        },
      };
    }
    if (out.ok) {
      await io.post({ text: `:wastebasket: Deleting deployment \`${id}\`; I will say when it is gone.` });
      return { type: 'wait', until: now, data: { deleteRequested: false, deleteSent: true } };
    }
    if (out.reason === 'not-found' && backend.steps) {
      // 133010 (not registered) or an unknown id: there is nothing to deregister.
      await updateRecordState(job.tenant, id, { state: 'DELETED', detail: 'not registered' });
      return {
        type: 'done',
        data: { deleteRequested: false, state: 'DELETED', detail: 'not registered' },
        progress: {
          text: `:wastebasket: Deployment \`${id}\` was not registered with Meta, so there was nothing to deregister${out.detail ? ` (${esc(out.detail)})` : ''}. I no longer follow it; the number stays on the WhatsApp Business Account.`,
        },
      };
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
    if (backend.steps && d.codeAt !== undefined && now - d.codeAt < CODE_REQUEST_GAP_MS) {
      const wait = Math.ceil((CODE_REQUEST_GAP_MS - (now - d.codeAt)) / 1000);
      await io.post({
        text: `:hourglass: A code for deployment \`${id}\` was asked for less than a minute ago; ask again in ${wait} s (\`/wa deploy resend ${id}\`). Meta refuses numbers that ask too often.`,
      });
      await clearPending(job.tenant, id, `resend_${method}`);
      return { type: 'wait', until: now, data: { pendingResend: undefined } };
    }
    // No reconcile: Meta keeps no record of a code sent, and a second SMS is worse than none
    // (the person can always ask again).
    const out = await io.effect(`resend:${d.resendSeq ?? 1}`, () => backend.resendOtp(id, method));
    await clearPending(job.tenant, id, `resend_${method}`);
    await io.post(
      out.ok
        ? {
            text: `:arrows_counterclockwise: A new code for deployment \`${id}\` is on its way by ${method === 'voice' ? 'voice call' : 'SMS'}.`,
          }
        : resendRefusal(backend.label, id, out.reason, out.detail),
    );
    const sent: Partial<DeploymentData> =
      out.ok && backend.steps
        ? {
            codeAt: now,
            codeAsked: true,
            // A new code is awaited, whatever the last one was (none yet, or a wrong one).
            state: d.state === 'INITIALIZING' || d.state === 'WRONG_CODE' ? 'CODE_SENT' : d.state,
          }
        : {};
    return { type: 'wait', until: now, data: { pendingResend: undefined, ...sent } };
  }
  if (d.sealedCode) {
    const seq = d.codeSeq ?? 1;
    let code: string;
    try {
      code = await open(job.tenant, d.sealedCode, undefined, OTP_PURPOSE);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      // Not ours (another workspace's, or tampered with): drop it and ask again.
      await clearPending(job.tenant, id, 'otp');
      await io.post({
        text: `:warning: The code entered for deployment \`${id}\` could not be read. Enter it again with \`/wa deploy verify ${id} <code>\`.`,
      });
      return { type: 'wait', until: now, data: { sealedCode: undefined } };
    }
    const out = await io.effect(
      `verify:${seq}`,
      () => backend.verify(id, code),
      // A verify that went through before a crash shows in the deployment's state. The Cloud API
      // has no waiting state of its own (an unverified number reads INITIALIZING): it must read verified.
      async () => {
        const dep = await backend.get(id);
        const through = backend.steps
          ? VERIFIED_STATES.includes(dep.state)
          : !AWAITING_CODE.includes(dep.state);
        return through ? { ok: true as const } : undefined;
      },
    );
    await clearPending(job.tenant, id, 'otp');
    if (out.ok && backend.steps) {
      await io.post({
        text: `:white_check_mark: Code accepted for deployment \`${id}\`${d.codeBy ? ` (entered by ${mention(d.codeBy)})` : ''}. Setting the two-step PIN and registering the number with Meta.`,
      });
      return {
        type: 'wait',
        until: now,
        data: {
          sealedCode: undefined,
          state: 'CODE_VERIFIED',
          history: [...(d.history ?? []), 'CODE_VERIFIED'],
        },
      };
    }
    if (out.ok) {
      await io.post({
        text: `:white_check_mark: Code accepted for deployment \`${id}\`${d.codeBy ? ` (entered by ${mention(d.codeBy)})` : ''}. ${backend.label} is finishing the deployment.`,
      });
      return { type: 'wait', until: now, data: { sealedCode: undefined } };
    }
    await io.post(wrongCodeMessage(id, out.detail));
    // Meta keeps no wrong-code state: the job keeps it, so the card still offers "Enter code".
    const local: Partial<DeploymentData> = backend.steps ? { state: 'WRONG_CODE', detail: undefined } : {};
    return { type: 'wait', until: now, data: { sealedCode: undefined, wrongTold: seq, ...local } };
  }
  if (backend.steps) return cloudStep(job, io, backend, backend.steps, id);
  return undefined;
}

/**
 * The Cloud API's own calls, one per run, each behind the effect log: ask for the code once the
 * number is added; once it is verified, set the two-step PIN and register. Nothing is sent twice:
 * a code request whose answer was lost counts as sent (Meta keeps no record to read back, and the
 * person can ask again), and a registration whose answer was lost is read back from the number.
 */
async function cloudStep(
  job: DJob,
  io: StepIO,
  backend: ProvisioningBackend,
  steps: ClientSteps,
  id: string,
): Promise<Result | undefined> {
  const d = job.data;
  const now = io.now;
  const round = d.codeRound ?? 1;
  if (d.state === 'INITIALIZING' && !d.codeAsked) {
    const method = job.payload.mode === 'provision' ? job.payload.method : 'sms';
    const attempt = d.codeTry ?? 1;
    const out = await io.effect(
      `code:${round}.${attempt}`,
      async () => {
        try {
          return await steps.requestCode(id, method);
        } catch (err) {
          // Meta answered with an error (a 5xx or 429 it sent us): no code went out, and this
          // attempt is over. Only an answer that never came is unsure (see the reconcile).
          if (err instanceof ProviderError && err.transient && err.status !== undefined) {
            return { ok: false as const, reason: 'not-sent' as const, retryAfterMs: err.retryAfterMs };
          }
          throw err;
        }
      },
      async () => ({ ok: true as const, unsure: true as const }),
    );
    if (!out.ok && out.reason === 'not-sent') {
      const wait = Math.max(out.retryAfterMs ?? 0, deploymentSettings().DEPLOY_POLL_MS);
      return { type: 'wait', until: now + wait, data: { codeTry: attempt + 1 } };
    }
    if (!out.ok && out.reason === 'conflict-resend-otp') {
      return { type: 'wait', until: now, data: { codeAsked: true, state: 'CODE_VERIFIED' } };
    }
    if (!out.ok) {
      await io.post(resendRefusal('Meta', id, out.reason, out.detail));
      return {
        type: 'wait',
        until: now + deploymentSettings().DEPLOY_CODE_POLL_MS,
        data: { codeAsked: true },
      };
    }
    const data: Partial<DeploymentData> = {
      codeAsked: true,
      codeAt: now,
      state: 'CODE_SENT',
      history: [...(d.history ?? []), 'CODE_SENT'],
      prompted: true,
    };
    await updateRecordState(job.tenant, id, { state: 'CODE_SENT', jobId: job.id });
    await io.progress(deploymentCard({ ...job, data: { ...d, ...data } }));
    await io.post(codePrompt(id, job.createdBy, 'unsure' in out));
    return { type: 'wait', until: now + deploymentSettings().DEPLOY_CODE_POLL_MS, data };
  }
  if (d.state !== 'CODE_VERIFIED') return undefined;
  const secrets = await openSecrets(job, id);
  if (!secrets.pin) {
    return {
      type: 'fail',
      reason: `the two-step PIN for deployment \`${id}\` is not known here (the deployment was not started by this app). Register it with \`/wa deploy start … --via cloud --pin <6 digits>\` again.`,
    };
  }
  const pin = secrets.pin;
  await io.effect(`pin:${round}`, async () => {
    await steps.setPin(id, pin);
    return { ok: true as const };
  });
  const out = await io.effect(
    `register:${round}`,
    () => steps.register(id, pin),
    // A registration that went through before a crash reads as a connected number.
    async () => ((await backend.get(id)).state === 'READY' ? { ok: true as const } : undefined),
  );
  if (!out.ok) {
    if (out.reason === 'reverify-needed') {
      await io.post(registerRefusal(id, out.reason, out.detail));
      return {
        type: 'wait',
        until: now,
        data: { state: 'INITIALIZING', codeAsked: false, codeRound: round + 1, codeTry: 1, prompted: false },
      };
    }
    return { type: 'fail', reason: registerRefusal(id, out.reason, out.detail).text ?? out.reason };
  }
  if (secrets.pinGenerated) {
    // Shown once, to the requester alone (an ephemeral message), never in the channel or a log.
    await io.effect('pin-shown', async () => {
      await io.ephemeral(generatedPinMessage(id, pin));
      return { ok: true as const };
    });
  }
  // Registered: the poll reads the number back (READY) and says so, in this same run.
  return undefined;
}

async function poll(job: DJob, io: StepIO, backend: ProvisioningBackend, id: string): Promise<Result> {
  const d = job.data;
  const settings = deploymentSettings();
  const read = await backend.get(id);
  // The Cloud API has no state for "code sent" or "wrong code": an unverified number reads
  // INITIALIZING, and the job keeps the state it put the number in.
  const got =
    backend.steps && read.state === 'INITIALIZING' && d.state && ['CODE_SENT', 'WRONG_CODE'].includes(d.state)
      ? { ...read, state: d.state }
      : read;
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
        reason: backend.steps
          ? `Meta reports the number as ${esc(got.title ?? 'BANNED')}${dep.detail ? ` (${esc(dep.detail)})` : ''}. See WhatsApp Manager › Account quality for why and to appeal; nothing more can be done here until Meta lifts it.`
          : `${backend.label} reports the deployment failed: ${esc(dep.detail ?? 'no detail given')}. Fix the cause (a wrong --cert or --waba is the usual one), delete it with \`/wa deploy delete ${id}\` and start again with \`/wa deploy start\`.`,
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
    const backend = await backendFor(job.tenant, job.payload.via);
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

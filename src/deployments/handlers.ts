import { randomInt } from 'node:crypto';
import { parsePhoneNumberWithError } from 'libphonenumber-js/min';
import { startClient } from '../clients/port.js';
import { UserError } from '../errors.js';
import { startJob } from '../jobs/service.js';
import { audit } from '../security/audit.js';
import { seal } from '../security/envelope.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { slackTime } from '../slack/dates.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { connectedBackends } from './backends.js';
import type { DeploymentPayload } from './kinds.js';
import { deploymentKind } from './kinds.js';
import { ago, deleteConfirmation, stateWords } from './messages.js';
import type { BackendName, BusinessProfile, OtpMethod } from './port.js';
import { getRecord, listRecords } from './records.js';
import { assertOwnDeployment, sendToDeployment, startTask } from './requests.js';

/**
 * `/wa deploy ...` on the ack path: validate (done by the router with the specs' schemas),
 * write DynamoDB, queue a job. Nothing here calls the provider.
 */

const ephemeral = (text: string, extra: Partial<Reply> = {}): Reply => ({
  response_type: 'ephemeral',
  text,
  ...extra,
});
const onIt = (what: string, jobId: string) =>
  ephemeral(`:hourglass_flowing_sand: On it: ${what} (job \`${jobId}\`).`);

/** Which backend a start runs on: `--via`, else what its flags belong to, else what is connected. */
async function chooseBackend(
  input: { via?: BackendName | undefined; cert?: string | undefined; name?: string | undefined },
  ctx: CommandContext,
): Promise<BackendName> {
  const connected = await connectedBackends(ctx.tenant);
  const chosen =
    input.via ??
    (input.cert !== undefined ? 'vonage' : input.name !== undefined ? 'cloud' : undefined) ??
    (connected.length === 1 ? connected[0] : undefined);
  if (!chosen) {
    throw new UserError(
      connected.length === 0
        ? 'No number provisioning backend is connected: an admin connects Meta (WhatsApp Cloud API) or Vonage with `/wa connect`.'
        : 'This is missing --name (WhatsApp Cloud API) or --cert (Vonage), and both are connected: which one? `/wa deploy start <+E164> --via cloud --waba <wabaId> --name "<display name>"` (Meta, recommended), or `/wa deploy start <+E164> --via vonage --waba <wabaId> --cert <vnameCertificate>` (Vonage WhatsApp Manager, deprecated).',
    );
  }
  if (!connected.includes(chosen)) {
    throw new UserError(
      `${chosen === 'cloud' ? 'Meta (WhatsApp Cloud API)' : 'Vonage'} is not connected for this workspace. An admin can set its credentials with \`/wa connect\`.`,
    );
  }
  if (chosen === 'cloud' && input.name === undefined)
    throw new UserError('The WhatsApp Cloud API needs the display name: add `--name "<display name>"`.');
  if (chosen === 'vonage' && input.cert === undefined)
    throw new UserError('Vonage needs the verified-name certificate: add `--cert <vnameCertificate>`.');
  return chosen;
}

export async function deployStart(
  input: {
    phone: string;
    via?: BackendName | undefined;
    waba: string;
    cert?: string | undefined;
    name?: string | undefined;
    method: OtpMethod;
    pin?: string | undefined;
    client?: string | undefined;
    'new-client'?: boolean | undefined;
  },
  ctx: CommandContext,
): Promise<Reply> {
  const via = await chooseBackend(input, ctx);
  const { client, remembered } = startClient(ctx, input.client, input['new-client']);
  const parsed = parsePhoneNumberWithError(input.phone);
  // The business's own number, not a customer's: shown whole on its card and in its answers.
  const phone = input.phone;
  // The Cloud API registers a number with a two-step PIN: without one given, we make one for the
  // requester (shown to them alone, once, when the number is registered; sealed until then).
  const pinGenerated = via === 'cloud' && !input.pin;
  const pin = pinGenerated ? String(randomInt(0, 1_000_000)).padStart(6, '0') : input.pin;
  const payload: DeploymentPayload = {
    mode: 'provision',
    countryCode: String(parsed.countryCallingCode),
    number: String(parsed.nationalNumber),
    phone,
    wabaId: input.waba,
    method: input.method,
    via,
    ...(via === 'cloud' ? { name: input.name } : {}),
    sealed: await seal(
      ctx.tenant,
      JSON.stringify(via === 'cloud' ? { pin, pinGenerated } : { certificate: input.cert, pin }),
    ),
  };
  const job = await startJob(ctx, {
    kind: deploymentKind,
    subject: `Deployment of ${phone}`,
    target: input.phone,
    payload,
    client,
  });
  await remembered;
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'deployment.requested',
    target: phone,
    outcome: 'ok',
    detail: via,
  });
  const how = input.method === 'voice' ? 'voice call' : 'SMS';
  return onIt(
    via === 'cloud'
      ? `adding ${phone} to WABA ${input.waba} on the WhatsApp Cloud API as “${esc(input.name ?? '')}”, code by ${how}${pinGenerated ? '; a two-step PIN is made for you and shown to you alone once the number is registered' : ''}. The deployment id and every step follow in this channel`
      : `provisioning ${phone} (WABA ${input.waba}, code by ${how}). The deployment id and every step follow in this channel`,
    job.id,
  );
}

export async function deployStatus(input: { deploymentId: string }, ctx: CommandContext): Promise<Reply> {
  const record = await getRecord(ctx.tenant, input.deploymentId);
  const job = await startTask(
    ctx,
    { op: 'status', deploymentId: input.deploymentId },
    `Status of deployment ${input.deploymentId}`,
  );
  const known = record ? ` Last known: *${record.state}*, ${stateWords(record.state)}.` : '';
  return onIt(`asking for deployment \`${input.deploymentId}\`.${known}`, job.id);
}

export async function deployVerify(
  input: { deploymentId: string; code: string },
  ctx: CommandContext,
): Promise<Reply> {
  const { jobId, coalesced } = await sendToDeployment(ctx, input.deploymentId, {
    type: 'otp',
    data: { code: input.code, userId: ctx.userId },
  });
  if (coalesced) {
    // Plain words (a form shows them beside its field, in plain text).
    throw new UserError(
      `A code for deployment ${input.deploymentId} is being checked right now (entered ${ago(coalesced.at)}); its answer comes in the deployment's thread. Nothing more was sent.`,
      'request_pending',
    );
  }
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'deployment.code_submitted',
    target: input.deploymentId,
    outcome: 'ok',
  });
  return onIt(
    `submitting the code for deployment \`${input.deploymentId}\`; the answer follows in its thread`,
    jobId,
  );
}

export async function deployResend(
  input: { deploymentId: string; method: OtpMethod },
  ctx: CommandContext,
): Promise<Reply> {
  const { jobId, coalesced } = await sendToDeployment(ctx, input.deploymentId, {
    type: 'resend',
    data: { method: input.method, userId: ctx.userId },
  });
  if (coalesced) {
    return ephemeral(
      `:information_source: A new code by ${input.method === 'voice' ? 'voice call' : 'SMS'} for deployment \`${esc(input.deploymentId)}\` was already asked for by ${mention(coalesced.by)} ${ago(coalesced.at)} and is on its way (job \`${jobId}\`); nothing more was sent.`,
    );
  }
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'deployment.otp_resend',
    target: input.deploymentId,
    outcome: 'ok',
  });
  return onIt(
    `asking for a new code by ${input.method === 'voice' ? 'voice call' : 'SMS'} for deployment \`${input.deploymentId}\``,
    jobId,
  );
}

/** Nothing changes until the confirmation button is pressed. */
export async function deployDelete(input: { deploymentId: string }, ctx: CommandContext): Promise<Reply> {
  await assertOwnDeployment(ctx.tenant, input.deploymentId);
  const confirm = deleteConfirmation(input.deploymentId);
  return ephemeral(confirm.text, { ...(confirm.blocks ? { blocks: confirm.blocks } : {}) });
}

export async function deployList(_input: unknown, ctx: CommandContext): Promise<Reply> {
  const records = await listRecords(ctx.tenant);
  if (records.length === 0) {
    return ephemeral(
      'No deployments in this workspace yet. Start one with `/wa deploy start <+E164> --waba <id> --cert <certificate>`.',
    );
  }
  const lines = records.map(
    (r) =>
      `• \`${esc(r.deploymentId)}\` ${esc(r.phone ?? '')}: *${esc(r.state)}*${r.detail ? ` (${esc(r.detail)})` : ''}, by ${mention(r.createdBy)}, updated ${slackTime(r.updatedAt)}`,
  );
  return ephemeral(`*Deployments in this workspace* (${records.length}):\n${lines.join('\n')}`);
}

export async function deployProfile(
  input: BusinessProfile & { deploymentId: string; website?: string[] | undefined },
  ctx: CommandContext,
): Promise<Reply> {
  const { deploymentId, website, ...rest } = input;
  const patch: BusinessProfile = Object.fromEntries(
    Object.entries({ ...rest, websites: website }).filter(([, v]) => v !== undefined),
  );
  if (Object.keys(patch).length === 0) {
    const job = await startTask(
      ctx,
      { op: 'profile-get', deploymentId },
      `Profile of deployment ${deploymentId}`,
    );
    return onIt(`fetching the business profile of deployment \`${deploymentId}\``, job.id);
  }
  const job = await startTask(
    ctx,
    { op: 'profile-update', deploymentId, patch },
    `Profile update of deployment ${deploymentId}`,
  );
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'deployment.profile_updated',
    target: deploymentId,
    outcome: 'ok',
    detail: Object.keys(patch).join(', '),
  });
  return onIt(`updating ${Object.keys(patch).join(', ')} of deployment \`${deploymentId}\``, job.id);
}

export async function deployPhoto(
  input: { deploymentId: string; imageUrl: string },
  ctx: CommandContext,
): Promise<Reply> {
  const job = await startTask(
    ctx,
    { op: 'photo', deploymentId: input.deploymentId, imageUrl: input.imageUrl },
    `Profile photo of deployment ${input.deploymentId}`,
  );
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'deployment.photo_set',
    target: input.deploymentId,
    outcome: 'ok',
  });
  return onIt(
    `checking the image and setting it as the profile photo of deployment \`${input.deploymentId}\``,
    job.id,
  );
}

export async function deployStickerpacks(
  input: { deploymentId: string },
  ctx: CommandContext,
): Promise<Reply> {
  const job = await startTask(
    ctx,
    { op: 'stickerpacks', deploymentId: input.deploymentId },
    `Stickerpacks of deployment ${input.deploymentId}`,
  );
  return onIt(`listing the stickerpacks of deployment \`${input.deploymentId}\``, job.id);
}

export async function deployStickerpackCreate(
  input: {
    deploymentId: string;
    name: string;
    publisher: string;
    ios?: string | undefined;
    android?: string | undefined;
  },
  ctx: CommandContext,
): Promise<Reply> {
  const job = await startTask(
    ctx,
    {
      op: 'stickerpack-create',
      deploymentId: input.deploymentId,
      pack: {
        name: input.name,
        publisher: input.publisher,
        iosAppStoreLink: input.ios,
        androidAppStoreLink: input.android,
      },
    },
    `New stickerpack for deployment ${input.deploymentId}`,
  );
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'deployment.stickerpack_created',
    target: input.deploymentId,
    outcome: 'ok',
  });
  return onIt(`creating stickerpack "${esc(input.name)}" on deployment \`${input.deploymentId}\``, job.id);
}

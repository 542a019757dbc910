import { z } from 'zod';
import { kindId } from '../jobs/kinds.js';
import type { Job } from '../jobs/model.js';
import type { WorkProgress } from '../slack/manifest.js';

const method = z.enum(['sms', 'voice']);
/** Jobs made before there was a choice of backend have none: they are Vonage's. */
const via = z.enum(['vonage', 'cloud']).default('vonage');

export const deploymentPayload = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('provision'),
    countryCode: z.string().regex(/^\d{1,4}$/),
    number: z.string().regex(/^\d{4,15}$/),
    phone: z.string(),
    wabaId: z.string(),
    method,
    via,
    /** The display name asked for (Cloud API `verified_name`): public, so not sealed. */
    name: z.string().optional(),
    /**
     * `{certificate?, pin?, pinGenerated?}`, sealed for the tenant: the PIN is a second factor.
     * A PIN we made for the requester is shown to them alone, once, when the number is registered.
     */
    sealed: z.string(),
  }),
  z.object({
    mode: z.literal('follow'),
    deploymentId: z.string(),
    phone: z.string().optional(),
    via,
  }),
]);
export type DeploymentPayload = z.output<typeof deploymentPayload>;

const profilePatch = z.object({
  about: z.string().optional(),
  address: z.string().optional(),
  description: z.string().optional(),
  email: z.string().optional(),
  vertical: z.string().optional(),
  websites: z.array(z.string()).optional(),
});

/** Where the deployment's card is, for the link in a read-only answer. */
const cardRef = z.object({ channel: z.string(), ts: z.string() }).optional();

const taskVia = { via: via.optional() };
export const taskPayload = z.discriminatedUnion('op', [
  z.object({ op: z.literal('status'), deploymentId: z.string(), ...taskVia, card: cardRef }),
  z.object({ op: z.literal('profile-get'), deploymentId: z.string(), ...taskVia, card: cardRef }),
  z.object({ op: z.literal('profile-update'), deploymentId: z.string(), ...taskVia, patch: profilePatch }),
  z.object({ op: z.literal('photo'), deploymentId: z.string(), ...taskVia, imageUrl: z.string() }),
  z.object({ op: z.literal('stickerpacks'), deploymentId: z.string(), ...taskVia, card: cardRef }),
  z.object({
    op: z.literal('stickerpack-create'),
    deploymentId: z.string(),
    ...taskVia,
    pack: z.object({
      name: z.string(),
      publisher: z.string(),
      iosAppStoreLink: z.string().optional(),
      androidAppStoreLink: z.string().optional(),
    }),
  }),
]);
export type TaskPayload = z.output<typeof taskPayload>;

export const deploymentKind = kindId<DeploymentPayload>('deployment', { ref: 'DEP' });
/** One request about a deployment (status, profile, photo…), answered to the asker. */
export const deploymentTaskKind = kindId<TaskPayload>('deployment-task');

/** Sealed OTPs are bound to this purpose: a sealed certificate or credential does not open as one. */
export const OTP_PURPOSE = 'deployment-otp';

/** Where a deployment stands, for its client's view (`/wa client`). */
export function deploymentProgress(job: Job<DeploymentPayload, { state?: string }>): WorkProgress {
  const state = job.data.state;
  switch (state) {
    case 'READY':
      return { outcome: 'READY' };
    case 'DELETED':
      return { outcome: 'deleted' };
    case 'CODE_SENT':
    case 'WRONG_CODE':
      return {
        waitingFor: 'the verification code the number received (the client reads it to us)',
        next: 'client',
      };
    case 'ERROR':
      return { waitingFor: 'a fix on our side (the provider reported an error)', next: 'us' };
    default:
      return {
        waitingFor: `the provider to finish ${state ? state.toLowerCase().replace(/_/g, ' ') : 'setting up'}`,
        next: 'provider',
      };
  }
}

/**
 * Where Meta's number webhooks find a Cloud API deployment's job. `phone_number_name_update`
 * names the number only by its display digits, never by id, so the key is WABA and digits;
 * `account_update` names only the WABA (the latest deployment on it hears it).
 */
export const META_NUMBER_REF = 'meta-number';
export const META_WABA_REF = 'meta-waba';
export const metaNumberRef = (wabaId: string, digits: string) => `${wabaId}:${digits.replace(/\D/g, '')}`;

/** Inbox event types of Meta's number webhooks. */
export const META_NAME_EVENT = 'meta.number_name';
export const META_ACCOUNT_EVENT = 'meta.account_update';

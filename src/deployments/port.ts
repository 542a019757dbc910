/**
 * The deployment port: everything the Slack side needs from a WhatsApp number provisioning
 * backend. Two implement it: Vonage's WhatsApp Manager API (`src/providers/vonage/client.ts`,
 * deprecated by Vonage since WhatsApp retired the On-Premises API) and Meta's WhatsApp Cloud API
 * (`src/providers/meta-cloud/client.ts`). `backends.ts` picks one per deployment.
 * UNCONFIRMED(vonage.endpoints-alive): that Vonage still provisions through this API at all.
 *
 * The two differ in who moves a number on: Vonage moves a deployment through its states by
 * itself (the job only polls), while on the Cloud API every step is a call of ours (request a
 * code, verify it, set the two-step PIN, register). A backend of the second kind says so with
 * `steps`, and the job makes those calls, each behind its effect log.
 *
 * Expected refusals (number in use, wrong code, a state that does not allow the change) come
 * back as values, not exceptions, so the job can word them; anything else is thrown
 * (transient `ProviderError`s are retried by the job engine, the rest fail the job).
 */

export const DEPLOYMENT_STATES = [
  'INITIALIZING',
  'CREATING_CLUSTER',
  'CLUSTER_CREATED',
  'CODE_SENT',
  'WRONG_CODE',
  'CODE_VERIFIED',
  'FINALIZING',
  'READY',
  'ERROR',
  'DELETING',
  'DELETED',
] as const;
/**
 * `UNKNOWN` is ours, not the provider's: a `current_state.title` outside the description's enum
 * (or none at all; the description marks it optional). The deployment is taken to be still in
 * progress and followed; the provider's own title travels in `Deployment.title`.
 */
export const UNKNOWN_STATE = 'UNKNOWN';
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number] | typeof UNKNOWN_STATE;

export type OtpMethod = 'sms' | 'voice';

/** The backends a deployment can run on; `vonage` for every deployment made before there was a choice. */
export const BACKENDS = ['vonage', 'cloud'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface Deployment {
  id: string;
  state: DeploymentState;
  /** The backend's words for the state, e.g. "Invalid vname certificate". */
  detail?: string | undefined;
  /** The provider's own state name when it is one we do not know (`state` is then UNKNOWN). */
  title?: string | undefined;
  wabaId?: string | undefined;
  countryCode?: string | undefined;
  number?: string | undefined;
  /** What the backend says about the number beyond its state, in its own terms (status reads). */
  facts?: Array<[label: string, value: string]> | undefined;
}

export interface ProvisionRequest {
  /** International dialling code without `+`, e.g. `44`. */
  countryCode: string;
  /** National number without the dialling code, e.g. `7700900000`. */
  number: string;
  wabaId: string;
  /** The verified-name certificate from the WhatsApp Business dashboard (Vonage). */
  certificate?: string | undefined;
  /** The display name to request (Cloud API: `verified_name`). */
  displayName?: string | undefined;
  method: OtpMethod;
  /** Two-step verification PIN, when the number has one. */
  pin?: string | undefined;
}

export type ProvisionResult =
  | { kind: 'created'; deployment: Deployment }
  | {
      kind: 'number-in-use';
      existingId?: string | undefined;
      detail?: string | undefined;
      /** The number as found on the same account (Cloud API: the same WABA), when it is there. */
      existing?: Deployment | undefined;
    };

export type Refusal<R extends string> = { ok: false; reason: R; detail?: string | undefined };
export type Outcome<R extends string> = { ok: true } | Refusal<R>;

export const PROFILE_VERTICALS = [
  'Automotive',
  'Beauty, Spa and Salon',
  'Clothing and Apparel',
  'Education',
  'Entertainment',
  'Event Planning and Service',
  'Finance and Banking',
  'Food and Grocery',
  'Public Service',
  'Hotel and Lodging',
  'Medical and Health',
  'Non-profit',
  'Professional Services',
  'Shopping and Retail',
  'Travel and Transportation',
  'Restaurant',
  'Other',
] as const;
export type ProfileVertical = (typeof PROFILE_VERTICALS)[number];

/** The documented limits of a WhatsApp business profile. */
export const PROFILE_LIMITS = {
  about: 139,
  address: 256,
  description: 256,
  email: 128,
  website: 256,
  websites: 2,
};

export interface BusinessProfile {
  about?: string | undefined;
  address?: string | undefined;
  description?: string | undefined;
  email?: string | undefined;
  vertical?: string | undefined;
  websites?: string[] | undefined;
}

export interface Stickerpack {
  id?: string | undefined;
  name?: string | undefined;
  publisher?: string | undefined;
  iosAppStoreLink?: string | undefined;
  androidAppStoreLink?: string | undefined;
}

export interface NewStickerpack {
  name: string;
  publisher: string;
  iosAppStoreLink?: string | undefined;
  androidAppStoreLink?: string | undefined;
}

/**
 * The calls a backend leaves to us (the Cloud API). Refusals that a person can act on come back
 * as values, with the provider's words in `detail`.
 */
export interface ClientSteps {
  /** Asks for a verification code by SMS or voice call. */
  requestCode(id: string, method: OtpMethod): Promise<Outcome<'code-throttled' | 'conflict-resend-otp'>>;
  /** Sets (or changes to the same) two-step verification PIN: repeating it is harmless. */
  setPin(id: string, pin: string): Promise<void>;
  /** Registers the verified number for messaging with its two-step PIN. */
  register(
    id: string,
    pin: string,
  ): Promise<Outcome<'pin-mismatch' | 'register-throttled' | 'reverify-needed' | 'account-locked'>>;
  /** A number this request may already have added (after a crash), found by the provider's own list. */
  find(request: ProvisionRequest): Promise<Deployment | undefined>;
}

export interface ProvisioningBackend {
  /** Shown to people ("Vonage") and used as the provider of job refs. */
  readonly label: string;
  /** Set when the provider does not move a number on by itself (see the top of this file). */
  readonly steps?: ClientSteps | undefined;
  provision(request: ProvisionRequest): Promise<ProvisionResult>;
  get(id: string): Promise<Deployment>;
  verify(id: string, code: string): Promise<Outcome<'verification-failed'>>;
  resendOtp(id: string, method: OtpMethod): Promise<Outcome<'conflict-resend-otp' | 'code-throttled'>>;
  remove(id: string): Promise<Outcome<'conflict-deployment-state' | 'not-found'>>;
  getProfile(id: string): Promise<BusinessProfile>;
  updateProfile(id: string, patch: BusinessProfile): Promise<BusinessProfile>;
  /** `image` is the checked file itself, for a backend that takes bytes rather than a URL. */
  setPhoto(
    id: string,
    imageUrl: string,
    image?: { bytes: Buffer; type: string },
  ): Promise<{ imageUrl?: string | undefined }>;
  listStickerpacks(id: string): Promise<Stickerpack[]>;
  createStickerpack(id: string, pack: NewStickerpack): Promise<Stickerpack[]>;
}

/** States after which the number is being (or has been) taken through verification. */
export const VERIFIED_STATES: readonly DeploymentState[] = ['CODE_VERIFIED', 'FINALIZING', 'READY'];
/** States in which the backend waits for a person to enter the OTP. */
export const AWAITING_CODE: readonly DeploymentState[] = ['CODE_SENT', 'WRONG_CODE'];

/** Job refs use this provider name, whichever backend runs, so the Slack side never names one. */
export const DEPLOYMENT_REF = 'deployment';

/**
 * Stickerpacks are not in Vonage's published WhatsApp Provisioning description (modelled on its
 * reference page, seed 004), and the On-Premises stickers they manage ended with the On-Premises
 * API on 23 Oct 2025 (Meta; Vonage: "All WhatsApp numbers will be migrated to Cloud API"). Kept,
 * said so wherever they appear; the Prism test checks they are absent from the description.
 */
export const STICKERPACK_NOTE =
  "Not in Vonage's published API: On-Premises stickers ended on 23 Oct 2025, so this may fail.";

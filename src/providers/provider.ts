import type { z } from 'zod';
import type { TenantId } from '../store/keys.js';

/**
 * What a provider said to one cheap read-only call with credentials being saved: accepted,
 * refused (with its words), not reached, or not checked (it documents no such call).
 */
export type CredentialCheck =
  | { status: 'valid' }
  | { status: 'refused' | 'unreachable' | 'unchecked'; detail: string };

/** A field of a provider's form in `/wa connect`, keyed by its credential schema's key. */
export interface ConnectField {
  key: string;
  label: string;
  max: number;
  hint?: string;
  multiline?: boolean;
  /** Optional in the schema too: the form never requires it. */
  optional?: boolean;
}

/**
 * One provider, described once: `/wa connect` shows its form, credentials are validated with its
 * schema on the way in and out, failures name it by its label, and the local stack points its
 * base-URL setting at the provider's sandbox.
 */
export interface ProviderDescriptor<N extends string = string, S extends z.ZodType = z.ZodType> {
  name: N;
  label: string;
  credentials: S;
  connect: { help: string; fields: ConnectField[] };
  /** The environment setting of its API's base URL, if the app calls it (config.ts). */
  baseUrlSetting?: string;
  /**
   * One cheap read-only call with these credentials, the provider's documented way (cited in its
   * folder's check.ts), run by a job after `/wa connect` saves them (never on the ack path).
   */
  check?: (credentials: z.output<S>, ctx: { tenant: TenantId }) => Promise<CredentialCheck>;
}

export function defineProvider<N extends string, S extends z.ZodType>(
  p: ProviderDescriptor<N, S>,
): ProviderDescriptor<N, S> {
  return p;
}

import { z } from 'zod';
import { kindId } from '../jobs/kinds.js';

export const CheckPayload = z.object({
  provider: z.string().min(1).max(40),
  /** The credentials checked are these (their `changedAt`), not any saved after them. */
  changedAt: z.string().min(1).max(40),
  /** The `/wa connect` modal that saved them, updated with the answer while it is open. */
  viewId: z.string().max(64).optional(),
});
export type CheckPayload = z.output<typeof CheckPayload>;

/** One cheap read-only call with credentials just saved in `/wa connect`. */
export const credentialCheckKind = kindId<CheckPayload>('credentials.check');

import { z } from 'zod';
import { kindId } from '../jobs/kinds.js';

export const VerifyPayload = z.object({ numbers: z.array(z.string()).min(1).max(100) });
export type VerifyPayload = z.output<typeof VerifyPayload>;

export const contactVerifyKind = kindId<VerifyPayload>('contact.verify', { ref: 'CHK' });

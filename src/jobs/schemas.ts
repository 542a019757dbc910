import { z } from 'zod';

export const jobsInput = z.object({ all: z.boolean().optional() });

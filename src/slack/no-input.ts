import { z } from 'zod';

/**
 * The schema of a command that takes no input. Its own module, not src/slack/command.ts: that one
 * is on the slack function's cold path, and this is the only full-zod value it held; the command
 * modules that use it load lazily with the router.
 */
export const noInput = z.object({});

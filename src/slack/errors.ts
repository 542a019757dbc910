import { UserError } from '../errors.js';
import { logger } from '../log.js';
import { ArgumentError } from './args.js';
import type { Reply } from './command.js';
import { esc } from './mrkdwn.js';

/** The one place where errors become what a person sees in Slack. */
export function errorReply(err: unknown, usage?: string): Reply {
  if (err instanceof ArgumentError) {
    return {
      response_type: 'ephemeral',
      text: `:warning: ${esc(err.message)}${/[.?!]$/.test(err.message) ? '' : '.'}${usage ? `\nUsage: \`${esc(usage)}\`` : ''}`,
    };
  }
  if (err instanceof UserError) {
    return { response_type: 'ephemeral', text: `:warning: ${esc(err.message)}` };
  }
  const ref = Math.random().toString(36).slice(2, 10);
  logger.error('command failed', { ref, error: err as Error });
  return {
    response_type: 'ephemeral',
    text: `:x: Something went wrong on our side (ref \`${ref}\`). Please try again; if it keeps happening, give the ref to your admin.`,
  };
}

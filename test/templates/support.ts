import { createHmac } from 'node:crypto';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import { command, sandboxFetch, slackMessages } from '../helpers/slack.js';

/** Test helpers shared by the template and contact end-to-end tests. */

export type Msg = Awaited<ReturnType<typeof slackMessages>>[number];

export async function sandboxState(url: string) {
  const res = await sandboxFetch(url, '/_sandbox/state');
  return (await res.json()) as {
    'cm-channels': {
      templates: Array<{
        id: string;
        name: string;
        isActive: boolean;
        isPending: boolean;
        polls: number;
        validations: number;
      }>;
      stats: { requests: number; faults: number; byRoute: Record<string, number> };
    };
    commbox: {
      sends: Array<{ body: unknown; results: Array<{ to: string; status: string }> }>;
      uploads: unknown[];
      validations: Array<{ phone: string; valid: boolean }>;
      stats: { requests: number; faults: number; byRoute: Record<string, number> };
    };
  };
}

/** Runs `/wa <text>` and returns its ack plus a function giving the Slack messages sent since. */
export async function run(url: string, text: string, user = 'U0ADMIN') {
  const before = (await slackMessages(url)).length;
  const ack = await command(url, text, user === 'U0ADMIN' ? {} : { user_id: user, user_name: 'max.member' });
  return {
    ack,
    since: async (): Promise<Msg[]> => (await slackMessages(url)).slice(before),
  };
}

export const textOf = (msgs: Msg[]) => msgs.map((m) => `[${m.kind}] ${m.text ?? ''}`).join('\n');

export function metaSignature(raw: string, secret = SANDBOX_CREDENTIALS.meta.appSecret): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

export function metaEvent(
  name: string,
  language: string,
  event: string,
  extra: Record<string, unknown> = {},
) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field: 'message_template_status_update',
            value: {
              event,
              message_template_id: 594425479261596,
              message_template_name: name,
              message_template_language: language,
              reason: 'NONE',
              ...extra,
            },
          },
        ],
      },
    ],
  };
}

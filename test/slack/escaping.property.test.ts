import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engineDeps } from '../../src/app/engine.js';
import {
  codePrompt,
  profileMessage,
  progressMessage,
  stickerpacksMessage,
  wrongCodeMessage,
} from '../../src/deployments/messages.js';
import { UserError } from '../../src/errors.js';
import { ProviderError } from '../../src/http/errors.js';
import { emailOffer, partnerSummary, signSummary } from '../../src/invites/render.js';
import type { Job, SlackMessage } from '../../src/jobs/model.js';
import { describeError } from '../../src/slack/describe.js';
import { jobsBlocks, jobsReply } from '../../src/slack/job-views.js';
import { esc } from '../../src/slack/mrkdwn.js';
import { parsedTexts } from '../helpers/slack-text.js';

/**
 * Every message renderer, fed names and provider answers built from Slack's control sequences
 * (https://api.slack.com/reference/surfaces/formatting): none of them may come out as markup.
 */
const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!subteam^SEVIL|@admins>',
  '<@UEVIL>',
  '<@UEVIL|boss>',
  '<#CEVIL|general>',
  '<https://evil.example/login|Verify your account>',
  '<http://evil.example>',
  '<mailto:evil@evil.example|support>',
  '<!date^666^{date}|tomorrow>',
  '&lt;!channel&gt;',
  '&',
  '<',
  '>',
  '|',
  '*',
  '`',
  ' ',
  'Acme',
  "O'Brien",
];
const hostile = fc
  .array(fc.constantFrom(...HOSTILE), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(''));

/** A `<…>` sequence our own code writes: a mention of a real actor, a date, or nothing else. */
const OURS = /^<(@U0(?:ADMIN|MEMBER)|!date\^\d{9,}\^[^|<>]*\|[^<>]*)>$/;

function sequencesIn(value: unknown): string[] {
  return parsedTexts(value).flatMap((t) => [...t.matchAll(/<[^<>]*>/g)].map((m) => m[0]));
}

/** Fails when a `<…>` sequence that our code did not write survives in the message. */
function expectNoUserMarkup(message: unknown, where: string) {
  for (const seq of sequencesIn(message)) expect(seq, `${where}: ${JSON.stringify(message)}`).toMatch(OURS);
}

const job = (over: Partial<Job>): Job => ({
  tenant: { teamId: 'T0SANDBOX' } as never,
  id: 'jabc123',
  kind: 'deployment',
  subject: 'Something',
  state: 'running',
  attempts: 0,
  version: 1,
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  createdBy: 'U0ADMIN',
  report: { channel: 'C0SANDBOX', userId: 'U0ADMIN' },
  payload: {},
  data: {},
  effects: {},
  ...over,
});

const KINDS = [
  'invite.sign',
  'invite.partner',
  'template.lookup',
  'template.watch',
  'template.send',
  'contact.verify',
  'deployment',
  'deployment-task',
];

describe('escaping of untrusted text in every message renderer', () => {
  it('esc leaves no markup character', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        expect(esc(s)).not.toMatch(/[<>]/);
        expect(esc(s).replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
      }),
    );
  });

  it('property: invite summaries, offers and failure messages carry no user markup', async () => {
    const kinds = await Promise.all(KINDS.map((k) => engineDeps.kind(k)));
    await fc.assert(
      fc.asyncProperty(hostile, hostile, hostile, async (name, other, detail) => {
        const sign = {
          inviteeName: name,
          email: 'a@b.co',
          phone: '+31612345678',
          dossierName: other,
          expiresDays: 30,
          document: { kind: 'template' as const, templateId: 'T1' },
        };
        const messages: SlackMessage[] = [
          signSummary(sign, { dossierId: detail, status: 'sent', expiresAt: '2030-01-01T00:00:00Z' }, 'j1'),
          emailOffer(sign, 'j1'),
          partnerSummary(
            { clientName: name },
            { invitationId: detail, status: 'completed', senderId: other, expiresAt: detail },
            'j1',
          ),
          progressMessage({ id: 'dep1', phone: name, state: 'ERROR', detail, history: [detail, other] }),
          codePrompt('dep1', 'U0ADMIN'),
          wrongCodeMessage('dep1', detail),
          profileMessage('dep1', {
            about: name,
            address: other,
            description: detail,
            email: name,
            vertical: other,
            websites: [detail],
          }),
          stickerpacksMessage('dep1', [{ name, publisher: other, id: detail }]),
          {
            text: describeError(
              new ProviderError({ provider: 'zavu', kind: 'permanent', detail, code: name } as never),
            ),
          },
          { text: describeError(new UserError(name)) },
          jobsReply([job({ subject: name, lastError: describeError(new UserError(detail)) })], true),
          {
            text: '',
            blocks: jobsBlocks([job({ subject: other, state: 'waiting', dueAt: 1_800_000_000_000 })], false),
          },
        ];
        for (const kind of kinds) {
          const payload = {
            inviteeName: name,
            dossierName: other,
            clientName: name,
            phone: name,
            templateId: other,
            templateName: other,
          };
          const message = kind?.failureMessage?.(
            job({
              kind: kind.kind,
              subject: name,
              payload,
              data: { name: other, deploymentId: 'dep1' },
            }) as never,
            describeError(new UserError(detail)),
          );
          if (message) messages.push(message);
          // Every kind's status card (issue 12, item 3), from hostile payload and data, running and ended.
          for (const state of ['waiting', 'failed'] as const) {
            const card = kind?.card?.(
              job({
                kind: kind.kind,
                subject: name,
                state,
                lastError: describeError(new UserError(detail)),
                payload: { ...payload, numbers: [name, other], email: 'a@b.co', expiresDays: 30 },
                data: {
                  name: other,
                  deploymentId: 'dep1',
                  dossierId: detail,
                  invitationId: detail,
                  expiresAt: detail,
                  status: 'undelivered',
                  langs: { [name]: { s: 'rejected', c: other, r: detail } },
                  meta: { [other]: { e: detail } },
                  verdict: 'rejected',
                  phase: 'monitor',
                  monitorUntil: 1_800_000_000_000,
                  results: 've',
                  detail,
                  history: [detail, other],
                },
              }) as never,
            );
            if (card) messages.push(card);
          }
        }
        messages.forEach((m, i) => {
          expectNoUserMarkup(m, `message ${i}`);
        });
      }),
      { numRuns: 150, seed: 12 },
    );
  });
});

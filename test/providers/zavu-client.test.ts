import { describe, expect, it } from 'vitest';
import { failureWords } from '../../src/invites/partner-job.js';
import {
  CreateInvitationRequest,
  FAILURE_REASONS,
  InvitationEnvelope,
  InvitationStatusChanged,
  ProjectWebhookEnvelope,
  ProjectWebhookRequest,
  parseZavuError,
  ZavuWebhook,
} from '../../src/providers/zavu/schemas.js';
import { verifyZavuSignature } from '../../src/security/signatures.js';
import { STATUS_FIXTURES, zavuFixture, zavuFixtureNames } from './zavu-fixtures.js';

describe('Zavu client schemas against the documented examples', () => {
  it('every fixture names its source', () => {
    const names = zavuFixtureNames();
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const name of names) {
      const f = zavuFixture(name);
      expect(f._source.length, name).toBeGreaterThan(0);
      for (const url of f._source) expect(url, name).toMatch(/^(https:\/\/|shared\/provider-docs\/)/);
      expect(f._note, name).toBeTruthy();
    }
  });

  it('parses the create request and response of the create-invitation reference', () => {
    expect(CreateInvitationRequest.safeParse(zavuFixture('create-invitation-request').body).success).toBe(
      true,
    );
    const out = InvitationEnvelope.parse(zavuFixture('create-invitation-response').body);
    expect(out.invitation).toMatchObject({ id: 'inv_abc123', status: 'pending' });
  });

  it('parses every invitation.status_changed example: envelope, then the documented data', () => {
    for (const name of Object.values(STATUS_FIXTURES)) {
      const envelope = ZavuWebhook.parse(zavuFixture(name).body);
      expect(envelope.type).toBe('invitation.status_changed');
      const data = InvitationStatusChanged.parse(envelope.data);
      expect(data.invitationId).toMatch(/^\w+$/);
    }
    const completed = InvitationStatusChanged.parse(
      zavuFixture(STATUS_FIXTURES.completedMessenger).body.data,
    );
    expect(completed).toMatchObject({
      currentStatus: 'completed',
      connectionType: 'messenger',
      senderId: 'sender_12345',
      connectedAccount: { channel: 'messenger', id: '1077492835456839', name: 'Acme Store' },
    });
    const failed = InvitationStatusChanged.parse(zavuFixture(STATUS_FIXTURES.failed).body.data);
    expect(failed).toMatchObject({ currentStatus: 'failed', failureReason: 'fb_cancelled' });
  });

  it('refuses the invitation object in place of the documented data (the old, invented shape)', () => {
    const invitation = zavuFixture('create-invitation-response').body.invitation;
    expect(InvitationStatusChanged.safeParse(invitation).success).toBe(false);
    expect(InvitationStatusChanged.safeParse({ id: 'inv_1', status: 'in_progress' }).success).toBe(false);
  });

  it('parses the project webhook request and response of the webhooks guide', () => {
    expect(ProjectWebhookRequest.parse(zavuFixture('configure-project-webhook-request').body)).toEqual({
      url: 'https://your-app.com/webhooks/zavu',
      events: ['invitation.status_changed'],
    });
    const { webhook } = ProjectWebhookEnvelope.parse(zavuFixture('configure-project-webhook-response').body);
    expect(webhook.secret).toMatch(/^whsec_/);
    expect(webhook.active).toBe(true);
  });

  it('reads the documented 429 body', () => {
    expect(parseZavuError(429, zavuFixture('rate-limited-error').body)).toEqual({
      code: 'rate_limited',
      detail: expect.stringContaining('Rate limit exceeded'),
    });
  });

  it('verifies the v1, v2 and v1+v2 examples with the secret, and only with it', () => {
    const f = zavuFixture<{
      secret: string;
      t: number;
      rawBody: string;
      headers: Record<string, string>;
    }>('signatures').body;
    for (const [version, header] of Object.entries(f.headers)) {
      // The body-only v1 is taken only for a workspace whose Zavu webhook signs that way (issue 26).
      const opts = version === 'v1' ? { bodyOnlyV1: true } : {};
      const at = (s: number) => [s * 1000, undefined, opts] as const;
      expect(verifyZavuSignature(f.rawBody, header, f.secret, ...at(f.t)), version).toBe(true);
      expect(verifyZavuSignature(f.rawBody, header, 'whsec_other', ...at(f.t)), version).toBe(false);
      expect(verifyZavuSignature(f.rawBody, header, f.secret, ...at(f.t + 301)), version).toBe(false);
    }
    expect(verifyZavuSignature(f.rawBody, f.headers.v1, f.secret, f.t * 1000)).toBe(false);
  });

  it('has words for every documented failureReason, and a generic, escaped line for others', () => {
    for (const reason of FAILURE_REASONS) expect(failureWords(reason)).not.toContain(reason);
    expect(failureWords('brand_new_code')).toBe('Zavu reported `brand_new_code`');
    expect(failureWords('<!channel>')).toBe('Zavu reported `&lt;!channel&gt;`');
    expect(failureWords('constructor')).toBe('Zavu reported `constructor`');
    expect(failureWords(null)).toBe('Zavu gave no reason');
  });
});

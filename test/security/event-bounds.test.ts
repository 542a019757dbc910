import { describe, expect, it } from 'vitest';
import { InvitationStatusChanged } from '../../src/providers/zavu/schemas.js';
import { jsonDepth, knownFields, MAX_EVENT_DEPTH } from '../../src/security/webhooks.js';
import { MetaTemplateStatus } from '../../src/templates/meta.js';

/** What a provider event may carry into a job's inbox (src/security/webhooks.ts). */
describe('provider event bounds', () => {
  it('measures nesting without parsing, skipping brackets inside strings and escapes', () => {
    expect(jsonDepth('{}')).toBe(1);
    expect(jsonDepth('{"a":[{"b":{}}]}')).toBe(4);
    expect(jsonDepth('{"a":"[[[[{{{{\\\\\\"[[[["}')).toBe(1);
    expect(jsonDepth(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBe(100_000);
    // Meta's documented event (body → entry[] → {} → changes[] → {} → value → rejection_info) fits.
    const meta = { entry: [{ changes: [{ value: { rejection_info: { reason: 'x' } } }] }] };
    expect(jsonDepth(JSON.stringify(meta))).toBeLessThanOrEqual(MAX_EVENT_DEPTH);
  });

  it('keeps the fields a Zavu event documents, at every level, and drops the rest', () => {
    const data = InvitationStatusChanged.parse({
      invitationId: 'inv_1',
      previousStatus: 'in_progress',
      currentStatus: 'completed',
      clientName: 'Acme',
      clientEmail: null,
      connectionType: 'whatsapp_waba',
      connectedAccount: { id: '1', channel: 'whatsapp', name: 'Acme', internal: { x: [1] } },
      marketing: { deep: { er: true } },
    });
    expect(knownFields(InvitationStatusChanged, data)).toEqual({
      invitationId: 'inv_1',
      previousStatus: 'in_progress',
      currentStatus: 'completed',
      clientName: 'Acme',
      clientEmail: null,
      connectionType: 'whatsapp_waba',
      connectedAccount: { id: '1', channel: 'whatsapp', name: 'Acme' },
    });
  });

  it('keeps the fields a Meta template event documents, transformed values included', () => {
    const v = MetaTemplateStatus.parse({
      event: 'rejected',
      message_template_id: 594425479261596,
      message_template_name: 'promo',
      message_template_language: 'en_US',
      reason: 'INVALID_FORMAT',
      rejection_info: { reason: 'bad', recommendation: 'fix', debug: { trace: [1, 2] } },
      surprise: [{ a: 1 }],
    });
    expect(knownFields(MetaTemplateStatus, v)).toEqual({
      event: 'REJECTED',
      message_template_id: '594425479261596',
      message_template_name: 'promo',
      message_template_language: 'en_US',
      reason: 'INVALID_FORMAT',
      rejection_info: { reason: 'bad', recommendation: 'fix' },
    });
  });
});

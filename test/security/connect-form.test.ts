import { describe, expect, it } from 'vitest';
import { deliveryKey } from '../../src/security/slack-retries.js';
import { auditBlocks, escapeMrkdwn } from '../../src/workspace/audit.js';
import { CONNECT_FORMS, formView, PROVIDERS, parseConnectForm } from '../../src/workspace/connect.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----';
const APP_ID = '3f2c8a4e-1b7d-4c9a-9e2f-0a1b2c3d4e5f';

describe('connect form', () => {
  it('every provider has a form whose fields match its schema, each input length-limited (Slack max 3000)', () => {
    for (const p of PROVIDERS) {
      const view = formView(p);
      const inputs = (view.blocks as Array<{ type: string; element?: { max_length?: number } }>).filter(
        (b) => b.type === 'input',
      );
      expect(inputs.length).toBe(CONNECT_FORMS[p].fields.length);
      for (const i of inputs) expect(i.element?.max_length).toBeGreaterThan(0);
      for (const i of inputs) expect(i.element?.max_length).toBeLessThanOrEqual(3000);
      expect((view as { title: { text: string } }).title.text.length).toBeLessThanOrEqual(24);
      expect(view.private_metadata).toBe(JSON.stringify({ provider: p }));
    }
  });

  it('names the field at fault without echoing its value', () => {
    const r = parseConnectForm('cm-channels', {
      productToken: 'pt-1234567',
      accountId: 'not-a-guid-SECRETISH',
      channelRequestId: '',
    });
    expect(r).toEqual({
      ok: false,
      errors: { f_accountId: expect.stringMatching(/GUID/), f_channelRequestId: 'Required.' },
    });
    expect(JSON.stringify(r)).not.toContain('SECRETISH');
    expect(JSON.stringify(r)).not.toContain('pt-1234567');
  });

  it('trims values and checks the server-side length limit even if Slack did not', () => {
    expect(parseConnectForm('meta', { appSecret: '  app-secret-1  ', verifyToken: 'verify-token' })).toEqual({
      ok: true,
      value: { appSecret: 'app-secret-1', verifyToken: 'verify-token' },
    });
    const r = parseConnectForm('meta', { appSecret: 'a'.repeat(201), verifyToken: 'verify-token' });
    expect(r).toEqual({ ok: false, errors: { f_appSecret: 'Too long: at most 200 characters.' } });
  });

  it('vonage takes an application id with its key, or a JWT, not both, and merges with what is stored', () => {
    expect(parseConnectForm('vonage', { applicationId: APP_ID, privateKey: PEM })).toEqual({
      ok: true,
      value: { applicationId: APP_ID, privateKey: PEM },
    });
    expect(parseConnectForm('vonage', { bearerJwt: 'aaa.bbb.ccc' })).toEqual({
      ok: true,
      value: { bearerJwt: 'aaa.bbb.ccc' },
    });
    expect(parseConnectForm('vonage', { applicationId: APP_ID, bearerJwt: 'aaa.bbb.ccc' })).toMatchObject({
      ok: false,
      errors: { f_bearerJwt: expect.stringMatching(/not both/) },
    });
    expect(parseConnectForm('vonage', { privateKey: 'just some text' })).toMatchObject({
      ok: false,
      errors: { f_applicationId: 'Required.', f_privateKey: expect.stringMatching(/PEM/) },
    });
    expect(parseConnectForm('vonage', { bearerJwt: 'not a jwt' })).toMatchObject({
      ok: false,
      errors: { f_bearerJwt: expect.stringMatching(/JWT/) },
    });
    expect(parseConnectForm('vonage', {})).toMatchObject({
      ok: false,
      errors: { f_applicationId: expect.stringMatching(/Required/) },
    });
    // A new key for the stored application keeps the application id.
    const stored = { applicationId: APP_ID, privateKey: PEM };
    const newPem = PEM.replace('MIIEvQ', 'MIIEvR');
    expect(parseConnectForm('vonage', { privateKey: newPem }, stored)).toEqual({
      ok: true,
      value: { applicationId: APP_ID, privateKey: newPem },
    });
  });

  it('cm-sign: the webhook secret is optional, and checked when given', () => {
    const input = (formView('cm-sign').blocks as Array<{ block_id?: string; optional?: boolean }>).find(
      (b) => b.block_id === 'f_webhookSecret',
    );
    expect(input?.optional).toBe(true);
    expect(parseConnectForm('cm-sign', { keyId: 'kid', secret: 's'.repeat(16), webhookSecret: '' })).toEqual({
      ok: true,
      value: { keyId: 'kid', secret: 's'.repeat(16) },
    });
    expect(
      parseConnectForm('cm-sign', { keyId: 'kid', secret: 's'.repeat(16), webhookSecret: 'short' }),
    ).toMatchObject({
      ok: false,
      errors: { f_webhookSecret: expect.stringMatching(/Too short/) },
    });
  });

  it('with stored credentials, empty fields keep them and an empty form changes nothing', () => {
    const stored = { apiKey: 'zv_old_api_key', webhookSecret: 'whsec_old_secret' };
    expect(parseConnectForm('zavu', { apiKey: '', webhookSecret: 'whsec_new_secret' }, stored)).toEqual({
      ok: true,
      value: { apiKey: 'zv_old_api_key', webhookSecret: 'whsec_new_secret' },
    });
    expect(parseConnectForm('zavu', { apiKey: ' ', webhookSecret: '' }, stored)).toMatchObject({
      ok: false,
      errors: { f_apiKey: expect.stringMatching(/Nothing to change/) },
    });
  });
});

describe('audit blocks', () => {
  it('escapes what entries hold, so a target cannot ping @channel or fake a link', () => {
    const blocks = auditBlocks([
      {
        actor: 'U0ADMIN',
        action: 'x.y',
        target: '<!channel> <https://evil|click>',
        outcome: 'ok',
        at: '2026-01-01T00:00:00.000Z',
      },
      { actor: '<!here>', action: 'a', outcome: 'refused', at: 'garbage' },
    ]);
    const dump = JSON.stringify(blocks);
    expect(dump).not.toContain('<!channel>');
    expect(dump).not.toContain('<!here>');
    expect(dump).not.toContain('<https://evil');
    expect(dump).toContain('&lt;!channel&gt;');
    expect(dump).toContain('<@U0ADMIN>');
    expect(escapeMrkdwn('a&b')).toBe('a&amp;b');
  });

  it('says so when there is nothing yet', () => {
    expect(JSON.stringify(auditBlocks([]))).toContain('Nothing recorded yet');
  });
});

describe('Slack delivery keys', () => {
  it('identify events by event_id, interactions by trigger_id and action_ts, commands by team, user and trigger_id', () => {
    expect(deliveryKey({ type: 'event_callback', event_id: 'Ev1' })).toBe('event:Ev1');
    expect(deliveryKey({ type: 'block_actions', trigger_id: 't1', actions: [{ action_ts: '1.2' }] })).toBe(
      'block_actions:t1:1.2',
    );
    expect(deliveryKey({ type: 'view_submission', trigger_id: 't2' })).toBe('view_submission:t2:');
    expect(
      deliveryKey({ command: '/wa', text: 'help', team_id: 'T1', user_id: 'U1', trigger_id: 't3' }),
    ).toBe('command:T1:U1:t3');
    expect(deliveryKey({ command: '/wa', text: 'help' })).toBeUndefined();
    expect(deliveryKey({ type: 'event_callback' })).toBeUndefined();
    expect(deliveryKey({ type: 'event_callback', event_id: 'x'.repeat(500) })).toBeUndefined();
    expect(deliveryKey(null)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/http/errors.js';
import { stateOf } from '../../src/providers/meta-cloud/client.js';
import { parseGraphError, rekind } from '../../src/providers/meta-cloud/errors.js';

/**
 * Graph errors are read by their code, not their HTTP status (Meta's advice): the same 400 is a
 * refusal, a rate limit to wait out or a token to replace. And a number's state comes from its
 * node's fields.
 */

const graph = (code: number, extra: Record<string, unknown> = {}) => ({
  error: { message: 'm', type: 'OAuthException', code, fbtrace_id: 'x', ...extra },
});
const asError = (status: number, body: unknown) => {
  const { code, detail } = parseGraphError(status, body);
  return new ProviderError({
    provider: 'meta-cloud',
    kind: status >= 500 || status === 429 ? 'transient' : status === 401 ? 'auth' : 'permanent',
    status,
    code,
    detail,
    body,
    message: 'x',
  });
};

describe('Graph errors by code', () => {
  it('a rate limit answered 400 is transient, with a wait', () => {
    const e = rekind(asError(400, graph(80007))) as ProviderError;
    expect(e.kind).toBe('transient');
    expect(e.retryAfterMs).toBe(5 * 60_000);
  });

  it('a bad token answered 400 is an auth error that names /wa connect', () => {
    const e = rekind(asError(400, graph(190))) as ProviderError;
    expect(e.kind).toBe('auth');
    expect(e.detail).toMatch(/\/wa connect/);
  });

  it('is_transient makes any code transient; a wrong code stays a refusal', () => {
    expect((rekind(asError(400, graph(999, { is_transient: true }))) as ProviderError).kind).toBe(
      'transient',
    );
    expect((rekind(asError(400, graph(136025))) as ProviderError).kind).toBe('permanent');
  });

  it("words carry Meta's own message and what to do next; an unknown code keeps Meta's words", () => {
    const known = parseGraphError(400, graph(133005, { error_user_msg: 'The PIN is wrong.' }));
    expect(known).toEqual({
      code: '133005',
      detail: expect.stringMatching(
        /PIN does not match.*Graph error 133005: “The PIN is wrong”.*reset it in WhatsApp Manager/,
      ),
    });
    expect(parseGraphError(400, graph(424242, { error_subcode: 7 })).detail).toBe('m (Graph error 424242/7)');
    expect(parseGraphError(400, { not: 'graph' })).toEqual({});
  });
});

describe("a number's state from its node", () => {
  it('unverified, verified, registered, banned and one we do not know', () => {
    expect(stateOf({ id: '1', code_verification_status: 'UNVERIFIED', status: 'PENDING' })).toEqual({
      state: 'INITIALIZING',
    });
    expect(stateOf({ id: '1', code_verification_status: 'VERIFIED', status: 'PENDING' }).state).toBe(
      'CODE_VERIFIED',
    );
    expect(stateOf({ id: '1', code_verification_status: 'VERIFIED', status: 'CONNECTED' }).state).toBe(
      'READY',
    );
    expect(stateOf({ id: '1', status: 'BANNED' }).state).toBe('ERROR');
    expect(stateOf({ id: '1', status: 'FLAGGED' })).toEqual({ state: 'UNKNOWN', title: 'FLAGGED' });
  });
});

import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  signMeta,
  signZavu,
  verifyMetaHandshake,
  verifyMetaSignature,
  verifySharedSecret,
  verifyZavuSignature,
} from '../../src/security/signatures.js';

const SECRET = 'whsec_test_secret_0123456789';
const NOW = 1_760_000_000_000;
const t = Math.floor(NOW / 1000);
const hmac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('hex');

/** Bodies including every kind of unicode, and headers of every shape. */
const body = fc.string({ unit: 'binary', maxLength: 400 });
const anyHeader = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('', ' ', ',', '=', 't=', 'v1=', 't=,v1=', 'sha256=', 'sha256'),
);

describe('verifyZavuSignature', () => {
  // v2 = HMAC(secret, "{t}.{body}"), v1 = HMAC(secret, body): @zavudev/sdk 0.57.0
  // SenderWebhook.signatureVersion and docs.zavu.dev signature-migration.
  const v2 = (raw: string, ts = t, secret = SECRET) => hmac(secret, `${ts}.${raw}`);
  const v1 = (raw: string, secret = SECRET) => hmac(secret, raw);

  const bodyOnlyV1 = { bodyOnlyV1: true };

  it('accepts v2, v1 and v1+v2 made as Zavu documents them (body-only v1 where the workspace opted in)', () => {
    const raw = '{"id":"evt_1","type":"invitation.status_changed"}';
    for (const header of [
      `t=${t},v2=${v2(raw)}`,
      `t=${t},v1=${v1(raw)}`,
      `t=${t},v1=${v1(raw)},v2=${v2(raw)}`,
      `t=${t},v2=${v2(raw)},v1=${v1(raw)}`,
    ]) {
      expect(verifyZavuSignature(raw, header, SECRET, NOW, undefined, bodyOnlyV1), header).toBe(true);
      expect(verifyZavuSignature(Buffer.from(raw), header, SECRET, NOW, undefined, bodyOnlyV1), header).toBe(
        true,
      );
    }
    // The older security page's v1 (over "{t}.{body}") still needs the secret: accepted.
    expect(verifyZavuSignature(raw, `t=${t},v1=${v2(raw)}`, SECRET, NOW)).toBe(true);
  });

  it('refuses a body-only v1 unless the workspace said its webhook signs that way: it does not cover t', () => {
    const raw = '{"id":"evt_1"}';
    // Captured once, sent again an hour later with a fresh t: the MAC still matches the body.
    const replayed = `t=${t},v1=${v1(raw)}`;
    expect(verifyZavuSignature(raw, replayed, SECRET, NOW)).toBe(false);
    expect(verifyZavuSignature(raw, replayed, SECRET, NOW, undefined, { bodyOnlyV1: false })).toBe(false);
    expect(verifyZavuSignature(raw, replayed, SECRET, NOW, undefined, bodyOnlyV1)).toBe(true);
    // v1+v2 still verifies through its v2, and a v1 over "{t}.{body}" covers t: both accepted.
    expect(verifyZavuSignature(raw, `t=${t},v1=${v1(raw)},v2=${v2(raw)}`, SECRET, NOW)).toBe(true);
    expect(verifyZavuSignature(raw, `t=${t},v1=${v2(raw)}`, SECRET, NOW)).toBe(true);
  });

  it('signZavu builds each scheme, v2 by default', () => {
    const raw = '{"a":1}';
    expect(signZavu(raw, SECRET, NOW)).toBe(`t=${t},v2=${v2(raw)}`);
    expect(signZavu(raw, SECRET, NOW, 'v1')).toBe(`t=${t},v1=${v1(raw)}`);
    expect(signZavu(raw, SECRET, NOW, 'v1+v2')).toBe(`t=${t},v1=${v1(raw)},v2=${v2(raw)}`);
  });

  it('accepts any of several signatures (secret rotation), upper-case hex, and ignores unknown schemes', () => {
    const raw = '{}';
    expect(verifyZavuSignature(raw, `t=${t},v2=${'0'.repeat(64)},v2=${v2(raw)}`, SECRET, NOW)).toBe(true);
    expect(verifyZavuSignature(raw, `t=${t}, v2=${v2(raw).toUpperCase()}`, SECRET, NOW)).toBe(true);
    expect(verifyZavuSignature(raw, `t=${t},v3=abc,v2=${v2(raw)}`, SECRET, NOW)).toBe(true);
  });

  it('refuses stale and future timestamps beyond 5 minutes, accepts within, for every scheme', () => {
    const raw = '{"a":1}';
    for (const version of ['v1', 'v2', 'v1+v2'] as const) {
      const at = (ts: number) => signZavu(raw, SECRET, ts * 1000, version);
      const verify = (h: string, now = NOW) =>
        verifyZavuSignature(raw, h, SECRET, now, undefined, bodyOnlyV1);
      expect(verify(at(t - 300))).toBe(true);
      expect(verify(at(t + 300))).toBe(true);
      expect(verify(at(t - 301))).toBe(false);
      expect(verify(at(t + 301))).toBe(false);
      // A replay of a once-valid delivery an hour later is stale.
      expect(verify(at(t), NOW + 3_600_000)).toBe(false);
    }
  });

  it('refuses a v2 whose timestamp was swapped (t is signed)', () => {
    const raw = '{"a":1}';
    expect(verifyZavuSignature(raw, `t=${t},v2=${v2(raw, t - 1000)}`, SECRET, NOW)).toBe(false);
  });

  it('refuses forged, wrong-secret, truncated, oversized and duplicated-t headers', () => {
    const raw = '{"b":2}';
    const good = v2(raw);
    for (const header of [
      `t=${t},v2=${v2(raw, t, 'other-secret')}`,
      `t=${t},v1=${v1(raw, 'other-secret')}`,
      `t=${t},v1=${v1(raw, 'other-secret')},v2=${v2(raw, t, 'other-secret')}`,
      `t=${t},v2=${v1(raw)}`, // a body-only MAC is not a v2
      `t=${t},v2=${good.slice(0, 63)}`,
      `t=${t},v2=${good}0`,
      `t=${t},v2=${good.slice(0, 32)}`,
      `t=${t},v0=${good}`,
      `v2=${good}`,
      `v1=${v1(raw)}`,
      `t=${t}`,
      `t=${t},t=${t},v2=${good}`,
      `t=${t}.5,v2=${good}`,
      `t=-${t},v2=${good}`,
      `t=${t},v2=${good},${'x'.repeat(2000)}`,
      `t=${t},v2=${'g'.repeat(64)}`,
    ]) {
      expect(verifyZavuSignature(raw, header, SECRET, NOW, undefined, bodyOnlyV1), header.slice(0, 80)).toBe(
        false,
      );
    }
    expect(verifyZavuSignature(raw, undefined, SECRET, NOW)).toBe(false);
    expect(verifyZavuSignature(raw, null, SECRET, NOW)).toBe(false);
    expect(verifyZavuSignature(raw, `t=${t},v2=${v2(raw, t, '')}`, '', NOW)).toBe(false);
    expect(verifyZavuSignature(raw, `t=${t},v1=${v1(raw, '')}`, '', NOW, undefined, bodyOnlyV1)).toBe(false);
  });

  it('property: a correct signature of each scheme verifies for any unicode body, and any change to the body breaks it', () => {
    fc.assert(
      fc.property(
        body,
        fc.string({ unit: 'binary', minLength: 1, maxLength: 5 }),
        fc.constantFrom('v1', 'v2', 'v1+v2' as const),
        (raw, extra, version) => {
          const header = signZavu(raw, SECRET, NOW, version);
          expect(verifyZavuSignature(raw, header, SECRET, NOW, undefined, bodyOnlyV1)).toBe(true);
          expect(verifyZavuSignature(raw + extra, header, SECRET, NOW, undefined, bodyOnlyV1)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: random headers never verify and never throw', () => {
    fc.assert(
      fc.property(body, anyHeader, (raw, header) => {
        expect(verifyZavuSignature(raw, header, SECRET, NOW, undefined, bodyOnlyV1)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('property: timestamps outside the tolerance fail, inside pass', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), (skew) => {
        const header = signZavu('{}', SECRET, NOW + skew * 1000);
        expect(verifyZavuSignature('{}', header, SECRET, NOW)).toBe(Math.abs(skew) <= 300);
      }),
      { numRuns: 300 },
    );
  });

  it('property: mutating any character of a signature makes it fail', () => {
    const raw = '{"x":"ü🙂"}';
    for (const version of ['v1', 'v2'] as const) {
      const header = signZavu(raw, SECRET, NOW, version);
      const sigStart = header.indexOf(`${version}=`) + 3;
      fc.assert(
        fc.property(
          fc.integer({ min: sigStart, max: header.length - 1 }),
          fc.constantFrom(...'0123456789abcdef'),
          (i, ch) => {
            fc.pre(header[i] !== ch);
            const mutated = `${header.slice(0, i)}${ch}${header.slice(i + 1)}`;
            expect(verifyZavuSignature(raw, mutated, SECRET, NOW)).toBe(false);
          },
        ),
        { numRuns: 200 },
      );
    }
  });
});

describe('verifyMetaSignature', () => {
  it('accepts X-Hub-Signature-256 as Meta sends it, refuses others', () => {
    const raw = '{"object":"whatsapp_business_account","entry":[]}';
    const header = `sha256=${hmac(SECRET, raw)}`;
    expect(verifyMetaSignature(raw, header, SECRET)).toBe(true);
    expect(verifyMetaSignature(raw, header.toUpperCase().replace('SHA256=', 'sha256='), SECRET)).toBe(true);
    expect(verifyMetaSignature(raw, `sha1=${hmac(SECRET, raw)}`, SECRET)).toBe(false);
    expect(verifyMetaSignature(raw, hmac(SECRET, raw), SECRET)).toBe(false);
    expect(verifyMetaSignature(raw, `sha256=${hmac('wrong', raw)}`, SECRET)).toBe(false);
    expect(verifyMetaSignature(raw, `sha256=${hmac(SECRET, raw).slice(1)}`, SECRET)).toBe(false);
    expect(verifyMetaSignature(`${raw} `, header, SECRET)).toBe(false);
    expect(verifyMetaSignature(raw, header, '')).toBe(false);
    expect(verifyMetaSignature(raw, undefined, SECRET)).toBe(false);
  });

  it('property: round trip for any body; random headers never verify', () => {
    fc.assert(
      fc.property(body, anyHeader, (raw, header) => {
        expect(verifyMetaSignature(raw, signMeta(raw, SECRET), SECRET)).toBe(true);
        expect(verifyMetaSignature(raw, signMeta(raw, `${SECRET}x`), SECRET)).toBe(false);
        expect(verifyMetaSignature(raw, header, SECRET)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});

describe('verifyMetaHandshake', () => {
  const token = 'verify-token-123';
  it('answers the challenge for the right token only', () => {
    const q = { 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '1158201444' };
    expect(verifyMetaHandshake(q, token)).toBe('1158201444');
    expect(verifyMetaHandshake({ ...q, 'hub.verify_token': 'nope' }, token)).toBeUndefined();
    expect(verifyMetaHandshake({ ...q, 'hub.mode': 'unsubscribe' }, token)).toBeUndefined();
    expect(verifyMetaHandshake({ ...q, 'hub.challenge': undefined }, token)).toBeUndefined();
    expect(verifyMetaHandshake(q, '')).toBeUndefined();
    expect(verifyMetaHandshake(null, token)).toBeUndefined();
    expect(verifyMetaHandshake(undefined, token)).toBeUndefined();
  });

  it('never reflects markup: a challenge with unsafe characters is refused', () => {
    for (const challenge of ['<script>alert(1)</script>', 'a b', '', 'x'.repeat(257), 'é']) {
      const q = { 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': challenge };
      expect(verifyMetaHandshake(q, token)).toBeUndefined();
    }
  });

  it('property: random queries never pass', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('hub.mode', 'hub.verify_token', 'hub.challenge', 'x'), fc.string()),
        (q) => {
          fc.pre(q['hub.verify_token'] !== token);
          expect(verifyMetaHandshake(q, token)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('verifySharedSecret', () => {
  it('accepts the secret (optionally as a bearer token), refuses the rest', () => {
    expect(verifySharedSecret(SECRET, SECRET)).toBe(true);
    expect(verifySharedSecret(`Bearer ${SECRET}`, SECRET)).toBe(true);
    expect(verifySharedSecret(SECRET.slice(0, -1), SECRET)).toBe(false);
    expect(verifySharedSecret(`${SECRET}x`, SECRET)).toBe(false);
    expect(verifySharedSecret('', '')).toBe(false);
    expect(verifySharedSecret('', SECRET)).toBe(false);
    expect(verifySharedSecret(undefined, SECRET)).toBe(false);
    expect(verifySharedSecret(SECRET, '')).toBe(false);
  });

  it('property: only the exact secret passes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (guess) => {
        fc.pre(guess.replace(/^Bearer\s+/i, '').trim() !== SECRET);
        expect(verifySharedSecret(guess, SECRET)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('constantTimeEqual', () => {
  it('property: agrees with === for any strings, of any lengths', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b);
        expect(constantTimeEqual(a, a)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('signatures at their edges', () => {
  const raw = '{"id":"evt_edge"}';
  const v2 = hmac(SECRET, `${t}.${raw}`);
  /** A header padded with an unknown scheme (ignored, as Zavu asks) to exactly `length` characters. */
  const padded = (header: string, length: number) => `${header},v9=${'0'.repeat(length - header.length - 4)}`;

  it('given a Zavu header of exactly 1,024 characters, then it is read; one more, refused', () => {
    const header = `t=${t},v2=${v2}`;
    expect(padded(header, 1024)).toHaveLength(1024);
    expect(verifyZavuSignature(raw, padded(header, 1024), SECRET, NOW)).toBe(true);
    expect(verifyZavuSignature(raw, padded(header, 1025), SECRET, NOW)).toBe(false);
  });

  it('given parts without "=" and spaces around values, then the parts are ignored and the values trimmed', () => {
    expect(verifyZavuSignature(raw, `t=${t},v2=${v2},tx`, SECRET, NOW)).toBe(true);
    expect(verifyZavuSignature(raw, `t= ${t} , v2= ${v2} `, SECRET, NOW)).toBe(true);
    expect(verifyZavuSignature(raw, `=x,t=${t},v2=${v2}`, SECRET, NOW)).toBe(true);
  });

  it('given a timestamp that is not plain decimal seconds, even one signed as sent, then it is refused', () => {
    for (const ts of [`0x${t.toString(16)}`, `${t}.0`, `+${t}`, ` ${t}x`]) {
      const header = `t=${ts},v2=${hmac(SECRET, `${ts.trim()}.${raw}`)}`;
      expect(verifyZavuSignature(raw, header, SECRET, NOW), ts).toBe(false);
    }
  });

  it('given a signature with text before or after its 64 hex digits, then it is not a signature', () => {
    expect(verifyZavuSignature(raw, `t=${t},v2=${v2}00`, SECRET, NOW)).toBe(false);
    expect(verifyZavuSignature(raw, `t=${t},v2=00${v2}`, SECRET, NOW)).toBe(false);
    expect(verifyZavuSignature(raw, `t=${t},v1=${hmac(SECRET, raw)}ff`, SECRET, NOW)).toBe(false);
  });

  it('given no secret, then no Zavu header verifies, not even one signed with the empty secret', () => {
    const header = `t=${t},v2=${hmac('', `${t}.${raw}`)}`;
    expect(verifyZavuSignature(raw, header, '', NOW)).toBe(false);
  });

  it('given a Meta header of exactly 1,024 characters (spaces around it), then it is read; one more, refused', () => {
    const sig = signMeta(raw, SECRET);
    const spaced = (n: number) => ` ${sig}${' '.repeat(n - sig.length - 1)}`;
    expect(verifyMetaSignature(raw, spaced(1024), SECRET)).toBe(true);
    expect(verifyMetaSignature(raw, spaced(1025), SECRET)).toBe(false);
  });

  it('given a Meta signature under another scheme name of the same length, then it is refused', () => {
    const hex = hmac(SECRET, raw);
    expect(verifyMetaSignature(raw, `sha512=${hex}`, SECRET)).toBe(false);
    expect(verifyMetaSignature(raw, `SHA256=${hex.toUpperCase()}`, SECRET)).toBe(true);
    expect(verifyMetaSignature(raw, `sha256=${hex}`, '')).toBe(false);
  });

  it('given a handshake token of exactly 1,024 characters, then it is compared; longer ones are not', () => {
    const long = 'k'.repeat(1024);
    const q = (token: string) => ({
      'hub.mode': 'subscribe',
      'hub.verify_token': token,
      'hub.challenge': 'c1',
    });
    expect(verifyMetaHandshake(q(long), long)).toBe('c1');
    expect(verifyMetaHandshake(q(`${long}k`), `${long}k`)).toBeUndefined();
    expect(verifyMetaHandshake({ 'hub.mode': 'subscribe', 'hub.challenge': 'c1' }, 'x')).toBeUndefined();
    expect(
      verifyMetaHandshake({ 'hub.verify_token': 'x', 'hub.challenge': 'c1' } as Record<string, string>, 'x'),
    ).toBeUndefined();
  });

  it('given a shared secret header of exactly 1,024 characters, then it is compared; longer ones are not', () => {
    const long = 's'.repeat(1024);
    expect(verifySharedSecret(long, long)).toBe(true);
    expect(verifySharedSecret(`${long}s`, `${long}s`)).toBe(false);
    expect(verifySharedSecret(`bearer   ${SECRET}  `, SECRET)).toBe(true);
    expect(verifySharedSecret(`Bearer ${SECRET}`, `Bearer ${SECRET}`)).toBe(false);
  });
});

describe('a secret that is not configured', () => {
  it('given no secret at all (undefined), then nothing verifies and nothing throws', () => {
    const missing = undefined as unknown as string;
    const raw = '{}';
    expect(verifyZavuSignature(raw, signZavu(raw, SECRET, NOW), missing, NOW)).toBe(false);
    expect(verifyMetaSignature(raw, signMeta(raw, SECRET), missing)).toBe(false);
    expect(verifySharedSecret(SECRET, missing)).toBe(false);
    expect(
      verifyMetaHandshake(
        { 'hub.mode': 'subscribe', 'hub.verify_token': 'x', 'hub.challenge': 'c' },
        missing,
      ),
    ).toBeUndefined();
  });
});

import {
  decodeJwt,
  decodeProtectedHeader,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  jwtVerify,
  SignJWT,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { imageInfo, photoProblem } from '../../src/deployments/image.js';
import { absorb } from '../../src/deployments/job.js';
import { bearerExpiry, VonageTokenError, vonageAuthHeader } from '../../src/providers/vonage/auth.js';
import { parseVonageError } from '../../src/providers/vonage/client.js';
import { sandboxVonageApplication } from '../../src/sandbox/credentials.js';
import { acceptsToken } from '../../src/sandbox/providers/vonage.js';
import { describeError } from '../../src/slack/describe.js';
import { jpegHead, pngHead } from './images.js';

describe('Vonage RFC 7807 errors', () => {
  it('maps the last segment of the problem type to the code, and keeps detail and invalid parameters', () => {
    expect(
      parseVonageError(409, {
        type: 'https://developer.nexmo.com/api-errors/whatsapp-provisioning#number-in-use',
        title: 'Number already in use',
        detail: 'Active deployment already exists with id 21801df5-a3f6-4bd6-8b66-5bde51a909c7',
        instance: 'bf0ca0bf927b3b52e3cb03217e1a1ddf',
      }),
    ).toEqual({
      code: 'number-in-use',
      detail: 'Active deployment already exists with id 21801df5-a3f6-4bd6-8b66-5bde51a909c7',
    });
    expect(
      parseVonageError(422, {
        type: 'https://developer.nexmo.com/api-errors/whatsapp-provisioning#verification-failed',
        title: 'Verification Failed',
        detail: 'Deployment could not be created because the verification failed.',
        instance: 'x',
        invalid_parameters: [{ name: 'code', reason: 'Invalid code provided.' }],
      }),
    ).toEqual({
      code: 'verification-failed',
      // Each part's closing full stop goes before they are joined (never "failed.; code").
      detail: 'Deployment could not be created because the verification failed; code: Invalid code provided',
    });
    expect(
      parseVonageError(404, { type: 'https://developer.nexmo.com/api-errors#not-found', title: 'Not Found' })
        .code,
    ).toBe('not-found');
    expect(parseVonageError(429, { type: 'https://example.com/errors/throttled' }).code).toBe('throttled');
    expect(parseVonageError(500, 'gateway error')).toEqual({});
  });
});

describe('Vonage application JWT', () => {
  it('signs RS256 with application_id, iat, jti and exp; a fresh token per request', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const applicationId = '4f1c6a2e-8b1d-4c55-9d7e-0a1b2c3d4e5f';
    const header = await vonageAuthHeader({ applicationId, privateKey: await exportPKCS8(privateKey) });
    const token = header.authorization?.replace('Bearer ', '') ?? '';
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    const claims = decodeJwt(token);
    expect(claims.application_id).toBe(applicationId);
    expect(typeof claims.jti).toBe('string');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    await jwtVerify(token, await importSPKI(await exportSPKI(publicKey), 'RS256'));
    // Signed by another application's key: the sandbox (like Vonage) refuses it.
    expect(acceptsToken(header.authorization)).toBe(false);
    const again = await vonageAuthHeader({ applicationId, privateKey: await exportPKCS8(privateKey) });
    expect(decodeJwt(again.authorization?.slice(7) ?? '').jti).not.toBe(claims.jti);
  });

  it('the sandbox accepts only its application, signed, within Vonage lifetimes', async () => {
    const app = sandboxVonageApplication();
    const now = Date.UTC(2026, 11, 2, 12);
    expect(acceptsToken((await vonageAuthHeader(app, now)).authorization, now)).toBe(true);
    // Ours live 15 minutes.
    expect(acceptsToken((await vonageAuthHeader(app, now)).authorization, now + 15 * 60_000)).toBe(false);
    const key = await importPKCS8(app.privateKey, 'RS256');
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ application_id: app.applicationId, ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
        .sign(key);
    const iat = now / 1000;
    // No exp: 15 minutes after iat. exp beyond 24 h after iat: cut at 24 h. Neither: refused.
    expect(acceptsToken(`Bearer ${await sign({ iat })}`, now + 14 * 60_000)).toBe(true);
    expect(acceptsToken(`Bearer ${await sign({ iat })}`, now + 16 * 60_000)).toBe(false);
    expect(acceptsToken(`Bearer ${await sign({ iat, exp: iat + 48 * 3600 })}`, now + 25 * 3600_000)).toBe(
      false,
    );
    expect(acceptsToken(`Bearer ${await sign({ jti: 'x' })}`, now)).toBe(false);
    expect(acceptsToken(undefined)).toBe(false);
    expect(acceptsToken('Bearer a.b.c')).toBe(false);
    const hs = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(`{"application_id":"${app.applicationId}","iat":1}`).toString('base64url')}.sig`;
    expect(acceptsToken(`Bearer ${hs}`)).toBe(false);
  });

  it('a pasted bearer JWT is sent only while Vonage would accept it, then the admin is asked for a new one', async () => {
    const app = sandboxVonageApplication();
    const key = await importPKCS8(app.privateKey, 'RS256');
    const now = Date.UTC(2026, 11, 2, 12);
    const iat = now / 1000;
    const pasted = await new SignJWT({ application_id: app.applicationId })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(key);
    expect(await vonageAuthHeader({ bearerJwt: pasted }, now + 10 * 60_000)).toEqual({
      authorization: `Bearer ${pasted}`,
    });
    expect(acceptsToken(`Bearer ${pasted}`, now + 10 * 60_000)).toBe(true);
    // After exp (and within 30 s of it) it is not sent: the admin is told what to do.
    for (const at of [now + 3600_000, now + 3600_000 - 10_000, now + 5 * 3600_000]) {
      const err = await vonageAuthHeader({ bearerJwt: pasted }, at).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VonageTokenError);
      expect((err as Error).message).toMatch(
        /expired at 2026-12-02T13:00:00\.000Z.*\/wa connect.*application id and private key/,
      );
      expect(describeError(err)).toBe((err as Error).message);
    }
    // Without exp: Vonage's 15 minutes after iat.
    const noExp = await new SignJWT({ application_id: app.applicationId })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuedAt(iat)
      .sign(key);
    expect(bearerExpiry(noExp)).toEqual({ expiresAt: iat + 900 });
    await expect(vonageAuthHeader({ bearerJwt: noExp }, now + 20 * 60_000)).rejects.toThrow(/expired/);
    // Not a JWT, or one with neither iat nor exp: never sent.
    await expect(vonageAuthHeader({ bearerJwt: 'not.the.right-jwt' }, now)).rejects.toThrow(/cannot be used/);
  });
});

describe('profile photo header reader', () => {
  it('reads PNG and JPEG sizes and applies the documented limits', () => {
    expect(imageInfo(pngHead(640, 480))).toEqual({ format: 'png', width: 640, height: 480 });
    expect(imageInfo(jpegHead(192, 200))).toEqual({ format: 'jpeg', width: 192, height: 200 });
    expect(imageInfo(Buffer.from('GIF89a'))).toBeUndefined();
    expect(photoProblem({ format: 'png', width: 192, height: 640 })).toBeUndefined();
    expect(photoProblem({ format: 'png', width: 191, height: 640 })).toMatch(/at least 192/);
    expect(photoProblem({ format: 'jpeg', width: 641, height: 200 })).toMatch(/at most 640×640/);
    expect(photoProblem({ format: 'png', width: 300, height: 300 }, 5 * 1024 * 1024 + 1)).toMatch(
      /limit is 5 MB/,
    );
  });
});

describe('requests arriving at a deployment job', () => {
  it('get the same sequence numbers when merged again after a failed run, so effects are not repeated', () => {
    const inbox = [
      { type: 'otp', at: 1, data: { sealedCode: 'v2.sealed.one', userId: 'U1' } },
      { type: 'resend', at: 2, data: { method: 'voice', userId: 'U1' } },
      { type: 'otp', at: 3, data: { sealedCode: 'v2.sealed.two', userId: 'U2' } },
      // A plain code (never written by us) is not taken as one.
      { type: 'otp', at: 4, data: { code: '999999', userId: 'U3' } },
    ];
    const data = { codeSeq: 2, resendSeq: 0 };
    const first = absorb(data, inbox);
    expect(first).toEqual({
      sealedCode: 'v2.sealed.two',
      codeBy: 'U2',
      codeSeq: 4,
      pendingResend: 'voice',
      resendSeq: 1,
    });
    expect(absorb(data, inbox)).toEqual(first);
    expect(absorb({ deleteSent: true }, [{ type: 'delete', at: 1, data: { userId: 'U1' } }])).toEqual({});
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { logger, SECRET_KEY } from '../../src/log.js';
import { setCredentials } from '../../src/providers/credentials.js';
import { credentialSchemas } from '../../src/providers/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { tenantId } from '../../src/store/keys.js';
import { captureOutput } from '../helpers/output.js';
import { run } from '../templates/support.js';

/**
 * No credential reaches a log line: not by field name (every field of every provider's
 * credentials is a redacted name) and not by value (every value a workspace stored is blanked
 * wherever it appears, e.g. the CommBox stream id and the CM.com Channels channel request id,
 * which sit inside every provider call's path). Output is captured while real provider calls
 * run against the sandboxes, at INFO so each call logs its line.
 */

// INFO from the logger's creation on: the worker resets the level to the one it started with.
vi.hoisted(() => {
  process.env.LOG_LEVEL = 'INFO';
});

let stack: LocalStack;
const captured: string[] = [];
const T = tenantId('T0SANDBOX');

beforeAll(async () => {
  captureOutput(captured);
  stack = await startLocalStack({
    port: 0,
    env: { SANDBOX_FAULT_RATE: '0', COMMBOX_RATE_PER_MINUTE: '6000', LOG_LEVEL: 'INFO' },
  });
  logger.setLogLevel('INFO');
});

afterAll(async () => {
  logger.setLogLevel('WARN');
  await stack?.close();
  vi.restoreAllMocks();
});

function keysOf(schema: z.ZodType): string[] {
  const def = (
    schema as unknown as { def: { type: string; options?: z.ZodType[]; shape?: Record<string, unknown> } }
  ).def;
  if (def.type === 'union') return (def.options ?? []).flatMap(keysOf);
  if (def.type === 'object') return Object.keys(def.shape ?? {});
  return [];
}

const values = (o: object) => Object.values(o).filter((v): v is string => typeof v === 'string');

describe('credentials in logs', () => {
  it('every field of every provider credential is a redacted field name', () => {
    const fields = Object.values(credentialSchemas).flatMap((s) => keysOf(s as z.ZodType));
    expect(fields).toEqual(
      expect.arrayContaining(['streamId', 'channelRequestId', 'apiKey', 'productToken']),
    );
    // Zavu's `webhook` ({url, registeredAt}: where /wa connect registered it) and
    // `webhookSigning` (which signature scheme its webhook uses) are documented as not secrets;
    // their values are still blanked by value like every stored credential value.
    const NOT_SECRET = ['webhook', 'webhookSigning'];
    expect(fields.filter((f) => !SECRET_KEY.test(f) && !NOT_SECRET.includes(f))).toEqual([]);
  });

  it('redacts by name, whatever the value', () => {
    captured.length = 0;
    logger.warn('probe by name', {
      streamId: 'by-name-probe-1',
      nested: { channelRequestId: 'by-name-probe-2' },
    });
    const out = captured.join('\n');
    expect(out).toContain('probe by name');
    expect(out).not.toContain('by-name-probe-1');
    expect(out).not.toContain('by-name-probe-2');
  });

  it('CommBox and CM.com Channels calls log their lines without the stored stream id, channel request id or keys', async () => {
    // The workspace stores its own credentials (the ones the sandboxes accept).
    await setCredentials(T, 'commbox', SANDBOX_CREDENTIALS.commbox, 'U0ADMIN');
    await setCredentials(T, 'cm-channels', SANDBOX_CREDENTIALS['cm-channels'], 'U0ADMIN');
    captured.length = 0;

    await run(stack.url, 'template list');
    await run(stack.url, 'contact optin +31612345678 --source "paper form"');
    await run(stack.url, 'contact verify +31612345678');
    await run(stack.url, 'template send welcome_message en_US +31612345678 --param Ada --param Acme');
    await stack.drain();

    const out = captured.join('\n');
    // The calls happened and were logged (this test can fail): CM.com Channels paths carry the
    // account id and the channel request id, which appear blanked.
    expect(out).toMatch(
      /"message":"provider call".*"provider":"cm-channels".*whatsapp\/\[redacted\]\/templates/,
    );
    // CommBox paths carry the stream id: the real calls' lines show it blanked.
    expect(out).toMatch(/"message":"provider call".*"provider":"commbox".*\/\[redacted\]/);
    // Any other line carrying it is blanked the same way.
    logger.info('provider call', {
      provider: 'commbox',
      path: `/streams/${SANDBOX_CREDENTIALS.commbox.streamId}/messages`,
    });
    const withCommbox = captured.join('\n');
    expect(withCommbox).toMatch(/"provider":"commbox","path":"\/streams\/\[redacted\]\/messages"/);
    // ...and no stored credential value is in any line, under any name, encoded or not.
    for (const secret of [
      ...values(SANDBOX_CREDENTIALS.commbox),
      ...values(SANDBOX_CREDENTIALS['cm-channels']),
    ]) {
      expect(out, secret).not.toContain(secret);
      expect(out, secret).not.toContain(encodeURIComponent(secret));
    }
    expect(out).toContain('[redacted]');
  }, 60_000);
});

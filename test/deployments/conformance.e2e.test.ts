import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { config } from '../../src/config.js';
import { vonageAuthHeader } from '../../src/providers/vonage/auth.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import { problem } from '../../src/sandbox/providers/vonage.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { claimObject } from '../../src/security/ownership.js';
import { tenantId } from '../../src/store/keys.js';
import { imageServer, pngHead } from './images.js';
import { advanceUntil, click, deployCommand, type LoggedCall, startStack, vonageState } from './support.js';

/**
 * Every request the Vonage client sends, and every answer of the Vonage sandbox, checked
 * against the OpenAPI description vendored in `spec/vonage/` (verbatim copy of Nexmo/api-specification,
 * MIT): the path and method exist, the request body
 * validates against its schema, the status is one the operation declares, and the response
 * body validates against that status's schema.
 */

// Inside the repository: no test reads anything beside it.
const SPEC_FILE = join(import.meta.dirname, '../../spec/vonage/whatsapp-provisioning.yml');

type Json = Record<string, unknown>;
interface Operation {
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}
type Spec = { paths: Record<string, Record<string, Operation>>; components: Json };

/**
 * Stickerpacks are in the provider document (004) and the provider notes, but not in this
 * version (0.1.4) of the description: their shapes, from the document, are checked here.
 */
const STICKERPACK = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    publisher: { type: 'string' },
    ios_app_store_link: { type: 'string' },
    android_app_store_link: { type: 'string' },
  },
};
const SUPPLEMENT: Record<string, Record<string, Operation>> = {
  '/deployments/{deployment_id}/stickerpacks': {
    get: {
      responses: {
        '200': {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['stickerpacks'],
                properties: { stickerpacks: { type: 'array', items: STICKERPACK } },
              },
            },
          },
        },
        '404': {
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorNotFound' } } },
        },
      },
    },
    post: {
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['publisher', 'name'],
              additionalProperties: false,
              properties: {
                publisher: { type: 'string' },
                name: { type: 'string' },
                ios_app_store_link: { type: 'string' },
                android_app_store_link: { type: 'string' },
              },
            },
          },
        },
      },
      responses: {
        '200': {
          content: {
            'application/json': {
              schema: { type: 'object', properties: { stickerpacks: { type: 'array', items: STICKERPACK } } },
            },
          },
        },
        '422': {
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorUnprocessable' } } },
        },
      },
    },
  },
};

let spec: Spec;
let ajv: Ajv;
const compiled = new Map<Json, ValidateFunction>();

function validator(schema: Json): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    // The description's schemas refer to #/components/...: wrap them in a document that has them.
    v = ajv.compile({ ...schema, components: spec.components });
    compiled.set(schema, v);
  }
  return v;
}

function findOperation(
  method: string,
  path: string,
): { template: string; op: Operation; inSpec: boolean } | undefined {
  for (const [paths, inSpec] of [
    [spec.paths, true],
    [SUPPLEMENT, false],
  ] as const) {
    for (const [template, ops] of Object.entries(paths)) {
      const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const op = ops[method.toLowerCase()];
      if (re.test(path) && op) return { template, op, inSpec };
    }
  }
  return undefined;
}

function problems(
  call: Pick<LoggedCall, 'method' | 'path' | 'body' | 'status' | 'response'>,
  checkRequest = true,
): string[] {
  const found = findOperation(call.method, call.path);
  if (!found) return [`${call.method} ${call.path} is not in the description`];
  const out: string[] = [];
  const where = `${call.method} ${found.template}`;
  const reqSchema = found.op.requestBody?.content?.['application/json']?.schema;
  if (!checkRequest) {
    // A request made wrong on purpose: only the answer is checked.
  } else if (reqSchema) {
    const v = validator(reqSchema);
    if (!v(call.body))
      out.push(`${where} request: ${ajv.errorsText(v.errors)} in ${JSON.stringify(call.body)}`);
  } else if (call.body !== undefined) out.push(`${where} takes no body but got ${JSON.stringify(call.body)}`);
  const response = found.op.responses[String(call.status)];
  if (!response) return [...out, `${where} does not declare status ${call.status}`];
  const resSchema = response.content?.['application/json']?.schema;
  if (resSchema) {
    const v = validator(resSchema);
    if (!v(call.response)) out.push(`${where} ${call.status} response: ${ajv.errorsText(v.errors)}`);
  } else if (call.response !== undefined)
    out.push(`${where} ${call.status} declares no body but one was sent`);
  return out;
}

let stack: LocalStack;
let images: Awaited<ReturnType<typeof imageServer>>;
let calls: LoggedCall[] = [];

beforeAll(async () => {
  spec = parse(readFileSync(SPEC_FILE, 'utf8')) as Spec;
  ajv = new Ajv({ strict: false, allErrors: true });
  images = await imageServer({ 'photo.png': { body: pngHead(640, 640), type: 'image/png' } });
  // The SSRF guard fetches the photo first: only the explicit local allowlist lets it reach 127.0.0.1.
  stack = await startStack({ SAFE_FETCH_TEST_ALLOWLIST: images.url });

  // Everything the client does: provision, poll, a wrong code, a resend, the right code,
  // profile read and write, photo, stickerpacks, status, delete; and number-in-use.
  await deployCommand(
    stack,
    'deploy start +31612345670 --waba 9990001 --cert AbCdEFGHiJK123456 --pin 246810',
  );
  const id = (await vonageState(stack)).deployments[0]?.id as string;
  await advanceUntil(stack, id, 'CODE_SENT');
  await deployCommand(stack, `deploy verify ${id} 000000`);
  await deployCommand(stack, `deploy resend ${id} --method voice`);
  await deployCommand(stack, `deploy verify ${id} 123456`);
  await advanceUntil(stack, id, 'READY');
  await deployCommand(
    stack,
    `deploy profile ${id} --about "About us" --address "1 Main St" --description Bakery --email a@b.example --vertical Restaurant --website https://a.example`,
  );
  await deployCommand(stack, `deploy profile ${id}`);
  await deployCommand(stack, `deploy photo ${id} ${images.url}/photo.png`);
  await deployCommand(
    stack,
    `deploy stickerpack-create ${id} --name Pack --publisher Acme --ios https://itunes.apple.com/app/id3133333`,
  );
  await deployCommand(stack, `deploy stickerpacks ${id}`);
  await deployCommand(stack, `deploy status ${id}`);
  await deployCommand(stack, `deploy resend ${id}`); // conflict-resend-otp: it is READY
  await deployCommand(stack, 'deploy start +31612345670 --waba 9990001 --cert AbCdEFGHiJK123456');
  await click(stack, 'deploy:delete-confirm', id);
  await advanceUntil(stack, id, 'DELETED');
  // A deployment this workspace created (so it may name it) that Vonage does not know: GET 404.
  await claimObject(tenantId('T0SANDBOX'), 'deployment', '00000000-0000-4000-8000-000000000000');
  await deployCommand(stack, 'deploy status 00000000-0000-4000-8000-000000000000');
  calls = (await vonageState(stack)).requests;
  // A whole deployment's life through the stack: longer than the default hook timeout on a busy machine.
}, 120_000);
afterAll(async () => {
  await Promise.all([stack?.close(), images?.close()]);
});

describe('Vonage client and sandbox against the OpenAPI description', () => {
  it('covers every operation the client uses', () => {
    const seen = new Set(calls.map((c) => `${c.method} ${findOperation(c.method, c.path)?.template}`));
    for (const op of [
      'POST /deployments',
      'GET /deployments/{deployment_id}',
      'DELETE /deployments/{deployment_id}',
      'POST /deployments/{deployment_id}/resend-otp',
      'POST /deployments/{deployment_id}/verify',
      'GET /deployments/{deployment_id}/profile',
      'PATCH /deployments/{deployment_id}/profile',
      'POST /deployments/{deployment_id}/profile/photo',
      'GET /deployments/{deployment_id}/stickerpacks',
      'POST /deployments/{deployment_id}/stickerpacks',
    ]) {
      expect(seen, op).toContain(op);
    }
    const statuses = new Set(calls.map((c) => `${c.method} ${c.status}`));
    for (const s of ['POST 202', 'POST 409', 'POST 422', 'POST 201', 'DELETE 204', 'GET 404'])
      expect(statuses).toContain(s);
  });

  it('every request the client sent, and every sandbox answer, conforms', () => {
    expect(calls.length).toBeGreaterThan(20);
    expect(calls.flatMap((c) => problems(c))).toEqual([]);
    // Outside the 0.1.4 description: only the stickerpack routes.
    expect(
      calls
        .filter((c) => !findOperation(c.method, c.path)?.inSpec)
        .every((c) => c.path.endsWith('/stickerpacks')),
    ).toBe(true);
  });

  it('the sandbox error answers the client never provokes conform too (RFC 7807, with invalid_parameters)', async () => {
    const base = config().providers.vonage;
    const id = calls.find((c) => c.status === 202)?.response as { deployment_id: string };
    const send = async (method: string, path: string, body?: unknown, auth = true) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(auth ? await vonageAuthHeader(SANDBOX_CREDENTIALS.vonage) : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { method, path, body, status: res.status, response: text ? JSON.parse(text) : undefined };
    };
    const answers = [
      await send('GET', `/deployments/${id.deployment_id}`, undefined, false),
      await send('POST', '/deployments', { country_code: '31', number: 'abc', method: 'fax' }),
      await send('PATCH', `/deployments/${id.deployment_id}/profile`, {
        about: 'x'.repeat(140),
        vertical: 'Bakery',
      }),
      await send('POST', `/deployments/${id.deployment_id}/profile/photo`, { image_url: 'not a url' }),
      await send('GET', `/deployments/${id.deployment_id}/profile/photo`),
      await send('DELETE', `/deployments/${id.deployment_id}`),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 400, 422, 422, 200, 409]);
    expect(answers.flatMap((a) => problems(a, false))).toEqual([]);
    const invalid = answers[2]?.response as { type: string; invalid_parameters: Array<{ name: string }> };
    expect(invalid.type).toMatch(/#unprocessable-profile-update$/);
    expect(invalid.invalid_parameters.map((p) => p.name)).toEqual(['about', 'vertical']);
    // The injected 429 body (fault injection) is the description's ErrorThrottled.
    const throttled = validator({ $ref: '#/components/schemas/ErrorThrottled' });
    expect(throttled(problem(429, 'throttled', 'Throttled', 'slow down').body)).toBe(true);
  });
});

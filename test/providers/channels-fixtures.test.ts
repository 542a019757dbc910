import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setRateLimiter } from '../../src/http/client.js';
import { MemoryRateLimiter } from '../../src/http/rate-limit.js';
import {
  CmChannelsClient,
  SupportedLanguage,
  Template,
  TemplateSummary,
} from '../../src/providers/cm-channels/client.js';
import { CommboxClient } from '../../src/providers/commbox/client.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import {
  metaEventBody,
  startCmChannelsSandbox,
  TEMPLATE_IDS,
} from '../../src/sandbox/providers/cm-channels.js';
import { startCommboxSandbox } from '../../src/sandbox/providers/commbox.js';
import type { ProviderSandbox, SandboxContext } from '../../src/sandbox/providers/index.js';
import { tenantId } from '../../src/store/keys.js';
import { findLanguage, LanguageCatalog } from '../../src/templates/languages.js';
import {
  META_EVENTS,
  MetaTemplateStatus,
  MetaWebhookBody,
  metaJson,
  metaReason,
  parseMetaJson,
} from '../../src/templates/meta.js';
import { languageState } from '../../src/templates/state.js';
import { type Fixture, fixture, fixtures } from '../helpers/fixtures.js';

// One set of recorded reference examples, two witnesses: our clients must read them, and our
// sandboxes must answer in exactly their shape. A client and a sandbox can then no longer agree
// on a shape the provider does not send.
const tenant = tenantId('T0SANDBOX');
const ctx = { url: 'http://127.0.0.1:9', faultRate: 0 } as unknown as SandboxContext;
let cm: ProviderSandbox;
let commbox: ProviderSandbox;
let replay: Server;
let replayUrl: string;
/** What the replay server answers next: a fixture's status and body. */
let next: Fixture | undefined;

beforeAll(async () => {
  setRateLimiter(new MemoryRateLimiter());
  [cm, commbox] = await Promise.all([startCmChannelsSandbox(ctx), startCommboxSandbox(ctx)]);
  replay = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res
        .writeHead(next?.status ?? 200, { 'content-type': 'application/json' })
        .end(JSON.stringify(next?.body)),
    );
  });
  await new Promise<void>((r) => replay.listen(0, '127.0.0.1', r));
  replayUrl = `http://127.0.0.1:${(replay.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all([cm?.running.close(), commbox?.running.close()]);
  await new Promise((r) => replay?.close(r));
  setRateLimiter(undefined);
});

const keys = (o: unknown) => Object.keys(o as object).sort();
const cmCreds = SANDBOX_CREDENTIALS['cm-channels'];
const cmUrl = (path: string) =>
  `${cm.running.url}/channels/v1/accounts/${cmCreds.accountId}/whatsapp/${path}`;
const cmGet = async (path: string) =>
  (await fetch(cmUrl(path), { headers: { 'x-cm-producttoken': cmCreds.productToken } })).json();

describe('every fixture names its source', () => {
  it.each(['cm-channels', 'commbox', 'meta'])('%s: each fixture has an https source URL', (provider) => {
    const all = fixtures(provider);
    expect(all.length).toBeGreaterThan(0);
    for (const f of all) expect(f.source, f.name).toMatch(/^https:\/\/\S+$/);
  });
});

describe('CM.com Channels: client parsing of the documented examples', () => {
  it('reads templates whose languages are keyed by NAME and carry no code', () => {
    const list = TemplateSummary.array().parse(fixture('cm-channels', 'template-list').body);
    const one = Template.parse(fixture('cm-channels', 'template-get').body);
    for (const t of [list[0], one]) {
      expect(Object.keys(t?.languages ?? {})).toEqual(['LANGUAGE NAME']);
      expect(t?.languages['LANGUAGE NAME']).not.toHaveProperty('code');
      // No isRejected flag: rejection is inferred from rejectionReason/rejectedOnUtc, and the
      // documented isIncomplete flag wins over them (the example carries both).
      expect(languageState(t?.languages['LANGUAGE NAME'] as never)).toBe('incomplete');
      const { isIncomplete: _flag, ...rejectedOnly } = (t?.languages['LANGUAGE NAME'] ?? {}) as Record<
        string,
        unknown
      >;
      expect(languageState({ ...rejectedOnly, isIncomplete: false } as never)).toBe('rejected');
    }
    expect(one.settings?.replacementFields?.[0]?.name).toBe('FIELD NAME');
  });

  it('maps a name to its code only through the supported-language list, never by guessing', () => {
    const supported = SupportedLanguage.array().parse(fixture('cm-channels', 'supported-languages').body);
    const one = Template.parse(fixture('cm-channels', 'template-get').body);
    // The documented example's language "string" is not the template's "LANGUAGE NAME": unknown.
    expect(findLanguage(one, 'LANGUAGE NAME', new LanguageCatalog(supported))?.code).toBeUndefined();
    const named = new LanguageCatalog([...supported, { id: null, code: 'xx_YY', name: 'LANGUAGE NAME' }]);
    expect(findLanguage(one, 'xx_YY', named)?.key).toBe('LANGUAGE NAME');
    expect(findLanguage(one, 'xx', named)?.key).toBe('LANGUAGE NAME');
    expect(findLanguage(one, 'language name', named)?.code).toBe('xx_YY');
  });
});

describe('CM.com Channels sandbox answers in the documented shapes', () => {
  it('serves supportedlanguages with exactly the documented keys', async () => {
    const doc = fixture('cm-channels', 'supported-languages').body as object[];
    const got = (await cmGet('supportedlanguages')) as object[];
    expect(got.length).toBeGreaterThan(1);
    for (const l of got) expect(keys(l)).toEqual(keys(doc[0]));
  });

  it('serves the channel’s active languages in the same documented shape', async () => {
    const doc = fixture('cm-channels', 'supported-languages').body as object[];
    const got = (await cmGet(`${cmCreds.channelRequestId}/languages`)) as Array<{ name: string }>;
    expect(got.map((l) => l.name).sort()).toEqual(['Dutch', 'English (US)']);
    for (const l of got) expect(keys(l)).toEqual(keys(doc[0]));
  });

  it('lists templates with the list keys only, languages keyed by supported names without codes', async () => {
    const doc = (fixture('cm-channels', 'template-list').body as Array<{ languages: object }>)[0];
    const docLang = Object.values(doc?.languages ?? {})[0];
    const names = new Set(
      ((await cmGet('supportedlanguages')) as Array<{ name: string }>).map((l) => l.name),
    );
    const got = (await cmGet(`${cmCreds.channelRequestId}/templates`)) as Array<{
      languages: Record<string, object>;
    }>;
    expect(got.length).toBeGreaterThan(0);
    for (const t of got) {
      expect(keys(t)).toEqual(keys(doc));
      for (const [name, l] of Object.entries(t.languages)) {
        expect(names.has(name), name).toBe(true);
        expect(keys(l)).toEqual(keys(docLang));
      }
    }
  });

  it('reads one template by id with the full keys', async () => {
    const doc = fixture('cm-channels', 'template-get').body;
    const got = await cmGet(`${cmCreds.channelRequestId}/templates/${TEMPLATE_IDS.welcome}`);
    expect(keys(got)).toEqual(keys(doc));
    expect(keys((got as { settings: object }).settings)).toEqual(
      keys((doc as { settings: object }).settings),
    );
  });

  it('the client reads the sandbox through the cached language list', async () => {
    const client = new CmChannelsClient(tenant, cmCreds, `${cm.running.url}/channels/v1`);
    const catalog = new LanguageCatalog(await client.supportedLanguages());
    const t = await client.getTemplate(TEMPLATE_IDS.welcome);
    expect(findLanguage(t, 'en_US', catalog)).toMatchObject({ key: 'English (US)', code: 'en_US' });
    expect(findLanguage(t, 'NL', catalog)).toMatchObject({ key: 'Dutch', code: 'nl' });
  });
});

describe('CommBox: client parsing of the documented examples', () => {
  const client = () =>
    new CommboxClient(tenant, SANDBOX_CREDENTIALS.commbox, { baseUrl: replayUrl, perMinute: 6000 });
  const one = [{ to: '+972546663529', name: 'Basic WA template', language: 'en', components: [] }];

  it('reads 200 (all sent, with message and object ids), 206 (per recipient) and 400 (all failed)', async () => {
    next = fixture('commbox', 'send-200');
    expect(await client().sendTemplate(one)).toEqual({
      httpStatus: 200,
      description: 'Operation successful',
      results: [
        {
          recipient: '972546663529',
          outcome: 'sent',
          messageId: 'gBEGlyVGZjUpAgmyuqAHfxbHmnQ',
          objectId: '38383744',
        },
      ],
    });
    next = fixture('commbox', 'send-206');
    const partial = await client().sendTemplate(one);
    expect(partial.httpStatus).toBe(206);
    expect(partial.results.map((r) => [r.recipient, r.outcome, r.reason])).toEqual([
      ['972546663529', 'sent', undefined],
      ['972546663530', 'failed', 'invalid — Not a valid WhatsApp user'],
    ]);
    next = fixture('commbox', 'send-400');
    expect((await client().sendTemplate(one)).results).toEqual([
      { recipient: '972546663529', outcome: 'failed', reason: 'invalid — Not a valid WhatsApp user' },
    ]);
  });

  it('reads the upload and validate examples', async () => {
    next = fixture('commbox', 'upload-200');
    expect((await client().uploadMedia(new Blob(['x']), 'video_sample.mp4')).id).toBe('257250616863050');
    next = fixture('commbox', 'validate-200');
    expect(await client().validateContact('+972546663529')).toEqual({ valid: true });
  });
});

describe('CommBox sandbox answers in the documented shapes', () => {
  const stream = encodeURIComponent(SANDBOX_CREDENTIALS.commbox.streamId);
  const post = async (body: unknown) => {
    const res = await fetch(`${commbox.running.url}/v2/whatsapp/sendtemplatedmessage/${stream}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${SANDBOX_CREDENTIALS.commbox.apiKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { data: object[] } };
  };
  const itemKeys = (f: string) => (fixture('commbox', f).body as { data: object[] }).data.map(keys);

  it('accepts the documented requests, answering with the documented item keys', async () => {
    const plain = await post(fixture('commbox', 'send-request').body);
    expect(plain.status).toBe(200);
    expect(keys(plain.body)).toEqual(keys(fixture('commbox', 'send-200').body));
    // object_id only when object_data asked for an object
    expect(plain.body.data.map(keys)).toEqual([itemKeys('send-200')[0]?.filter((k) => k !== 'object_id')]);
    const withObject = await post(fixture('commbox', 'send-request-object-data').body);
    expect(withObject.body.data.map(keys)).toEqual(itemKeys('send-200'));
  });

  it('answers 206 with success and failure items for a partial failure, 400 when all fail', async () => {
    const item = (to: string) => ({
      template_data: {
        to,
        template: { name: 'welcome_message', language: { code: 'en_US' }, components: [] },
      },
    });
    const partial = await post({ data: [item('31612345678'), item('31612340000')] });
    expect(partial.status).toBe(206);
    const [ok, failed] = itemKeys('send-206');
    expect(partial.body.data.map(keys)).toEqual([ok?.filter((k) => k !== 'object_id'), failed]);
    const all = await post({ data: [item('31612340000')] });
    expect(all.status).toBe(400);
    expect(all.body.data.map(keys)).toEqual(itemKeys('send-400'));
  });
});

describe('Meta: the documented events, parsed and sent alike', () => {
  it('parses every fixture: documented events, null reasons, ids above 2^53 kept digit for digit', () => {
    for (const f of fixtures('meta')) {
      const raw = metaJson(f.body);
      const body = MetaWebhookBody.parse(parseMetaJson(raw));
      const v = MetaTemplateStatus.parse(body.entry[0]?.changes[0]?.value);
      expect(META_EVENTS, f.name).toContain(v.event);
      expect(v.message_template_id, f.name).toMatch(/^\d+$/);
    }
    const locked = MetaTemplateStatus.parse(
      (fixture('meta', 'locked-big-id').body as { entry: Array<{ changes: Array<{ value: unknown }> }> })
        .entry[0]?.changes[0]?.value,
    );
    expect(locked.message_template_id).toBe('1234567890123456789');
    expect(metaReason(locked)).toContain('FIRST_PAUSE');
    const pending = MetaTemplateStatus.parse(
      (
        fixture('meta', 'pending-deletion-null-reason').body as {
          entry: Array<{ changes: Array<{ value: unknown }> }>;
        }
      ).entry[0]?.changes[0]?.value,
    );
    expect(pending.reason).toBeNull();
    // A plain JSON.parse would have rounded it; a rounded number is refused rather than trusted.
    expect(
      MetaTemplateStatus.safeParse({ ...locked, message_template_id: Number('1234567890123456789') }).success,
    ).toBe(false);
  });

  it('the sandbox sends Meta’s documented keys, the language by code and a 64-bit id as a bare integer', () => {
    const documented = new Set(
      keys(
        (
          fixture('meta', 'rejected-invalid-format').body as {
            entry: Array<{ changes: Array<{ value: unknown }> }>;
          }
        ).entry[0]?.changes[0]?.value,
      ),
    );
    for (const k of ['disable_info', 'other_info']) documented.add(k);
    const t = {
      id: TEMPLATE_IDS.holidayHours,
      facebookName: 'holiday_hours',
      category: 'UTILITY',
    } as Parameters<typeof metaEventBody>[0];
    const raw = metaJson(
      metaEventBody(t, { language: 'English (US)', event: 'REJECTED', reason: 'INVALID_FORMAT: no' }),
    );
    expect(raw).toMatch(/"message_template_id":\d{17,19}[,}]/);
    const v = MetaTemplateStatus.parse(MetaWebhookBody.parse(parseMetaJson(raw)).entry[0]?.changes[0]?.value);
    expect(BigInt(v.message_template_id ?? 0) > 2n ** 53n).toBe(true);
    expect(v.message_template_language).toBe('en_US');
    const sent = (JSON.parse(raw) as { entry: Array<{ changes: Array<{ value: object }> }> }).entry[0]
      ?.changes[0]?.value;
    for (const k of keys(sent)) expect(documented.has(k), k).toBe(true);
  });
});

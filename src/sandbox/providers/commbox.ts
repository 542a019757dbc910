import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { clock } from '../../clock.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { RecordStore } from '../journal.js';
import { registerFaultScript, scriptableFaults } from './cm-channels.js';
import type { ProviderSandbox, SandboxContext } from './framework.js';
import { route, type SandboxRequest, type SandboxResponse, startSandbox } from './framework.js';

/**
 * CommBox WhatsApp API sandbox, written from CommBox's official OpenAPI description, not from our
 * client: `Commbox.json` 2.07, https://github.com/commbox-io/api (rendered at
 * https://help.commbox.io/apidocs/send-whatsapp-templated-message-v2), summarised in
 * provider-docs/references/commbox.md. Templated sends (v2, up to 20 recipients), media upload
 * (multipart `pic`) and contact validation, every answer in the envelope
 * `{status, description, response_time, data}`.
 * A send answers per recipient: accepted `{recipient, id, status: 200, object_id?}` (`object_id`
 * only when `object_data` asked for a CommBox object), failed `{recipient, status: 400, failed}`;
 * HTTP 200 when all were accepted, 206 when some failed, 400 when all failed. The stream id is
 * a path segment: ids end in `==` and may hold `/` or `+`, so only a URL-encoded id routes.
 * Numbers ending in 0000 are "not on WhatsApp" (a failed recipient, `valid: false`); any other
 * number is reported valid, as the retired contacts check behind the real endpoint may do.
 */

interface SendRecord {
  id: string;
  at: string;
  /** The exact body received. */
  body: unknown;
  /** The `data[]` answered, per recipient, and the HTTP status. */
  results: Array<{ recipient: string; id?: string; status: number; object_id?: number; failed?: string }>;
  http: number;
}
interface UploadRecord {
  id: string;
  at: string;
  filename: string;
  type: string;
  size: number;
}
interface ValidationRecord {
  id: string;
  at: string;
  phone: string;
  valid: boolean;
}

const envelope = (status: number, description: string, data: unknown = null): SandboxResponse => ({
  status,
  body: { status, description, response_time: new Date(clock.now()).toISOString(), data },
});

const notOnWhatsApp = (digits: string) => digits.endsWith('0000');

/** Checks one `data[]` item of a v2 templated send like the API does; the problem, if any. */
function problemWith(item: unknown, i: number): string | undefined {
  const at = `data[${i}]`;
  if (!item || typeof item !== 'object') return `${at} must be an object`;
  const td = (item as { template_data?: unknown }).template_data as Record<string, unknown> | undefined;
  if (!td || typeof td !== 'object') return `${at}.template_data is required`;
  if (typeof td.to !== 'string' || !/^\d{7,15}$/.test(td.to))
    return `${at}.template_data.to must be the phone number in digits with country code, without +`;
  const tpl = td.template as Record<string, unknown> | undefined;
  if (!tpl || typeof tpl !== 'object') return `${at}.template_data.template is required`;
  if (typeof tpl.name !== 'string' || !tpl.name) return `${at}.template_data.template.name is required`;
  const lang = tpl.language as { code?: unknown } | undefined;
  if (!lang || typeof lang.code !== 'string' || !lang.code)
    return `${at}.template_data.template.language.code is required`;
  const od = (item as { object_data?: unknown }).object_data;
  if (od !== undefined) {
    // Sibling form (most documented examples); User.Phone1 and createChildObject are required.
    const o = od as { createChildObject?: unknown; User?: { Phone1?: unknown } };
    if (!o || typeof o !== 'object' || typeof o.createChildObject !== 'boolean')
      return `${at}.object_data.createChildObject is required`;
    if (!o.User || typeof o.User.Phone1 !== 'string') return `${at}.object_data.User.Phone1 is required`;
  }
  if (tpl.components !== undefined && !Array.isArray(tpl.components))
    return `${at}.template_data.template.components must be an array`;
  for (const [j, c] of ((tpl.components as unknown[]) ?? []).entries()) {
    const comp = c as { type?: unknown; parameters?: unknown };
    if (!['header', 'body', 'button'].includes(String(comp?.type)))
      return `components[${j}].type must be header, body or button`;
    if (!Array.isArray(comp.parameters)) return `components[${j}].parameters must be an array`;
    for (const p of comp.parameters as Array<Record<string, unknown>>) {
      const type = String(p?.type);
      if (type === 'text') {
        if (typeof p.text !== 'string' || !p.text) return `components[${j}]: a text parameter needs text`;
      } else if (['document', 'image', 'video'].includes(type)) {
        const media = p[type] as { link?: unknown; id?: unknown } | undefined;
        if (!media || (typeof media.link !== 'string' && typeof media.id !== 'string'))
          return `components[${j}]: a ${type} parameter needs ${type}.link or ${type}.id`;
      } else return `components[${j}]: unknown parameter type ${type}`;
    }
  }
  return undefined;
}

export async function startCommboxSandbox(ctx: SandboxContext): Promise<ProviderSandbox> {
  const creds = SANDBOX_CREDENTIALS.commbox;
  const file = (name: string) =>
    ctx.dataDir ? join(ctx.dataDir, 'sandbox', `commbox-${name}.jsonl`) : undefined;
  const sends = new RecordStore<SendRecord>(file('sends'));
  const uploads = new RecordStore<UploadRecord>(file('uploads'));
  const validations = new RecordStore<ValidationRecord>(file('validations'));
  const newId = () => randomBytes(8).toString('hex');
  let nextObjectId = 38_383_744;

  function guard(req: SandboxRequest): SandboxResponse | undefined {
    if (req.headers.authorization !== `Bearer ${creds.apiKey}`)
      return envelope(
        401,
        'Unauthorized - The supplied credentials are not sufficient to access the resource',
      );
    if (req.params.stream !== creds.streamId) return envelope(404, 'Not found - unknown stream');
    return undefined;
  }

  const faults = scriptableFaults(
    ctx.faultRate,
    (status) => ({
      status,
      description:
        status === 429
          ? 'Too Many Requests - Too many requests have been made in a short period of time (Throttling)'
          : 'Server Error - The server could not return the representation due to an internal server error',
      response_time: new Date(clock.now()).toISOString(),
      data: null,
    }),
    'commbox',
  );
  registerFaultScript('commbox', faults.script);

  const running = await startSandbox(
    'commbox',
    [
      route('POST', '/v2/whatsapp/sendtemplatedmessage/:stream', (req) => {
        const denied = guard(req);
        if (denied) return denied;
        const data = (req.body as { data?: unknown } | undefined)?.data;
        if (!Array.isArray(data) || data.length < 1 || data.length > 20)
          return envelope(400, 'Bad Request - data must hold 1 to 20 messages');
        const results: SendRecord['results'] = data.map((item, i) => {
          const td = (item as { template_data?: { to?: unknown } }).template_data;
          const recipient = typeof td?.to === 'string' ? td.to : '';
          const problem = problemWith(item, i);
          if (problem) return { recipient, status: 400, failed: problem };
          if (notOnWhatsApp(recipient))
            return { recipient, status: 400, failed: 'invalid — Not a valid WhatsApp user' };
          const wantsObject = Boolean((item as { object_data?: unknown }).object_data);
          return {
            recipient,
            id: randomBytes(20).toString('base64url').slice(0, 27),
            status: 200,
            ...(wantsObject ? { object_id: nextObjectId++ } : {}),
          };
        });
        const failed = results.filter((r) => r.failed);
        const http = failed.length === 0 ? 200 : failed.length === results.length ? 400 : 206;
        sends.put({ id: newId(), at: new Date(clock.now()).toISOString(), body: req.body, results, http });
        return envelope(http, http === 200 ? 'Operation successful' : (failed[0]?.failed ?? ''), results);
      }),
      route('POST', '/whatsapp/uploadmedia/:stream', async (req) => {
        const denied = guard(req);
        if (denied) return denied;
        const type = String(req.headers['content-type'] ?? '');
        if (!type.startsWith('multipart/form-data'))
          return envelope(400, 'Bad Request - multipart/form-data expected');
        let form: FormData;
        try {
          form = await new Request('http://sandbox/upload', {
            method: 'POST',
            headers: { 'content-type': type },
            body: new Uint8Array(req.rawBody),
          }).formData();
        } catch {
          return envelope(400, 'Bad Request - unreadable multipart body');
        }
        const pic = form.get('pic');
        if (!pic || typeof pic === 'string')
          return envelope(400, 'Bad Request - field pic (file) is required');
        const rec = uploads.put({
          id: String(BigInt(`0x${randomBytes(6).toString('hex')}`)),
          at: new Date(clock.now()).toISOString(),
          filename: pic.name,
          type: pic.type,
          size: pic.size,
        });
        return envelope(200, 'Operation successful', [{ filename: rec.filename, id: rec.id }]);
      }),
      route('GET', '/whatsapp/validatecontact/:stream/:phone', (req) => {
        const denied = guard(req);
        if (denied) return denied;
        const phone = req.params.phone ?? '';
        if (!/^\d{7,15}$/.test(phone))
          return envelope(400, 'Bad Request - PHONE_NUMBER must be digits with country code');
        const valid = !notOnWhatsApp(phone);
        validations.put({ id: newId(), at: new Date(clock.now()).toISOString(), phone, valid });
        return envelope(200, 'Operation successful', { valid });
      }),
    ],
    Object.assign(faults.options, { controlToken: ctx.controlToken }),
  );

  return {
    name: 'commbox',
    envVar: 'COMMBOX_BASE_URL',
    basePath: '',
    running,
    async tick() {},
    state() {
      return { sends: sends.all(), uploads: uploads.all(), validations: validations.all() };
    },
  };
}

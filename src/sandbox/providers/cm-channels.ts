import { join } from 'node:path';
import { clock } from '../../clock.js';
import { metaJson } from '../../templates/meta.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { RecordStore } from '../journal.js';
import type { ProviderSandbox, SandboxContext } from './framework.js';
import {
  deliverWebhook,
  type FaultOptions,
  hmacHex,
  route,
  type SandboxRequest,
  type SandboxResponse,
  seededFromEnv,
  startSandbox,
} from './framework.js';

/**
 * CM.com Channels sandbox, written from CM's document, not from our client:
 * - https://www.cm.com/app/docs/api/channels-api/v1/index/ (seed 003, read in full; summarised
 *   fact by fact in provider-docs/references/cm-channels.md),
 * - Meta's webhook reference for the events it sends on Meta's behalf:
 *   https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
 * A template's `languages` dictionary is keyed by language NAME and a template language has no
 * `code`; codes come only from `GET /accounts/{accountId}/whatsapp/supportedlanguages`
 * (`ApiWhatsAppSupportedLanguage {id, code, name}`). The names below are Meta's own
 * (https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates/supported-languages);
 * UNCONFIRMED(cm-channels.language-names): that CM uses the very same names. A template language's `id` is deliberately
 * not the supported language's `id`: the document does not say they are the same identifier.
 * List items carry fewer fields than GET by id (no template-level rejectionReason, settings,
 * updatedOnUtc, fulfilledOnUtc), as documented.
 *
 * Templates part: list (q/skip/take), get by id, request validation. Each
 * language follows the documented flags: a validation request makes it `isValidationRequested`,
 * the next poll (GET) hands it to "Meta" (`isPending`), and after a few more polls it is approved
 * or rejected with a reason. `tick()` sends the Meta `message_template_status_update` webhook
 * for every language decided since the last tick, signed as Meta signs (X-Hub-Signature-256).
 */

type LangState = 'approved' | 'pending' | 'requested' | 'rejected' | 'incomplete' | 'draft';

interface SandboxLanguage {
  id: string;
  name: string;
  content: string;
  state: LangState;
  /** What Meta will decide, and after how many more polls. */
  outcome?: { decision: 'approve' | 'reject'; reason?: string; afterPolls: number } | undefined;
  rejectionReason?: string | undefined;
  createdOnUtc: string;
  updatedOnUtc: string;
  fulfilledOnUtc?: string | undefined;
  rejectedOnUtc?: string | undefined;
}

export interface SandboxTemplate {
  id: string;
  name: string;
  facebookName: string;
  category: string;
  templateCategoryId: string;
  createdOnUtc: string;
  replacementFields: Array<{ id: string; index: number; name: string; type: string }>;
  languages: Record<string, SandboxLanguage>;
  /** GETs of this template so far. */
  polls: number;
  validations: number;
}

export const TEMPLATE_IDS = {
  welcome: '11111111-1111-4111-8111-000000000001',
  orderUpdate: '11111111-1111-4111-8111-000000000002',
  appointmentReminder: '11111111-1111-4111-8111-000000000003',
  flashSale: '11111111-1111-4111-8111-000000000004',
  accountAlert: '11111111-1111-4111-8111-000000000005',
  feedbackSurvey: '11111111-1111-4111-8111-000000000006',
  holidayHours: '11111111-1111-4111-8111-000000000007',
} as const;

/** `ApiWhatsAppSupportedLanguage[]`: a subset of Meta's list, with Meta's names and codes. */
export const SUPPORTED_LANGUAGES: ReadonlyArray<{ id: string; code: string; name: string }> = [
  ['af', 'Afrikaans'],
  ['ar', 'Arabic'],
  ['zh_CN', 'Chinese (CHN)'],
  ['da', 'Danish'],
  ['nl', 'Dutch'],
  ['en', 'English'],
  ['en_GB', 'English (UK)'],
  ['en_US', 'English (US)'],
  ['fr', 'French'],
  ['de', 'German'],
  ['he', 'Hebrew'],
  ['it', 'Italian'],
  ['pt_BR', 'Portuguese (BR)'],
  ['pt_PT', 'Portuguese (POR)'],
  ['es', 'Spanish'],
  ['es_MX', 'Spanish (MEX)'],
  ['tr', 'Turkish'],
].map(([code, name], i) => ({
  id: `55555555-5555-4555-8555-${String(i + 1).padStart(12, '0')}`,
  code: code as string,
  name: name as string,
}));

const codeOfName = (name: string) => SUPPORTED_LANGUAGES.find((l) => l.name === name)?.code;

/** The template's id at Meta: stable per template, always above 2^53 (Meta's ids are 64-bit). */
export const metaTemplateId = (templateId: string) =>
  (2n ** 60n + BigInt(`0x${templateId.replace(/-/g, '').slice(-15)}`)).toString();

export const DECIDE_AFTER_POLLS = 3;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CATEGORIES = {
  UTILITY: '22222222-2222-4222-8222-000000000001',
  MARKETING: '22222222-2222-4222-8222-000000000002',
} as const;

function seeds(now: string): SandboxTemplate[] {
  let n = 0;
  const lang = (
    name: string,
    content: string,
    state: LangState,
    extra: Partial<SandboxLanguage> = {},
  ): SandboxLanguage => ({
    id: `33333333-3333-4333-8333-${String(++n).padStart(12, '0')}`,
    name,
    content,
    state,
    createdOnUtc: now,
    updatedOnUtc: now,
    ...(state === 'approved' ? { fulfilledOnUtc: now } : {}),
    ...extra,
  });
  const field = (index: number, name: string, type = 'text') => ({
    id: `44444444-4444-4444-8444-${String(++n).padStart(12, '0')}`,
    index,
    name,
    type,
  });
  const tpl = (
    id: string,
    name: string,
    category: keyof typeof CATEGORIES,
    languages: Record<string, SandboxLanguage>,
    fields: SandboxTemplate['replacementFields'] = [],
  ): SandboxTemplate => ({
    id,
    name,
    facebookName: name,
    category,
    templateCategoryId: CATEGORIES[category],
    createdOnUtc: now,
    replacementFields: fields,
    languages,
    polls: 0,
    validations: 0,
  });
  const approveLater = { decision: 'approve' as const, afterPolls: DECIDE_AFTER_POLLS };
  return [
    tpl(
      TEMPLATE_IDS.welcome,
      'welcome_message',
      'UTILITY',
      {
        'English (US)': lang('English (US)', 'Hello {{1}}, welcome to {{2}}!', 'approved'),
        Dutch: lang('Dutch', 'Hallo {{1}}, welkom bij {{2}}!', 'approved'),
      },
      [field(0, 'first_name'), field(1, 'company')],
    ),
    tpl(
      TEMPLATE_IDS.orderUpdate,
      'order_update',
      'UTILITY',
      {
        'English (US)': lang(
          'English (US)',
          'Your order {{1}} has shipped. The invoice is attached.',
          'approved',
        ),
      },
      [field(0, 'order_number')],
    ),
    tpl(
      TEMPLATE_IDS.appointmentReminder,
      'appointment_reminder',
      'UTILITY',
      {
        'English (US)': lang('English (US)', 'Reminder: your appointment is on {{1}}.', 'pending', {
          outcome: approveLater,
        }),
        Dutch: lang('Dutch', 'Herinnering: uw afspraak is op {{1}}.', 'pending', { outcome: approveLater }),
      },
      [field(0, 'date', 'datetime')],
    ),
    tpl(TEMPLATE_IDS.flashSale, 'flash_sale', 'UTILITY', {
      'English (US)': lang('English (US)', 'FLASH SALE! 50% off everything today only!', 'rejected', {
        rejectionReason: 'INCORRECT_CATEGORY: promotional content submitted as a UTILITY template.',
        rejectedOnUtc: '2025-03-04T10:15:00.000Z',
      }),
    }),
    tpl(TEMPLATE_IDS.accountAlert, 'account_alert', 'UTILITY', {
      'English (US)': lang(
        'English (US)',
        'We noticed a sign-in to your account from a new device.',
        'draft',
      ),
      // Rejected once, then emptied for a rewrite: CM keeps the rejection's date (isIncomplete wins).
      Dutch: lang('Dutch', '', 'incomplete', { rejectedOnUtc: '2025-02-10T09:00:00.000Z' }),
    }),
    tpl(
      TEMPLATE_IDS.feedbackSurvey,
      'feedback_survey',
      'MARKETING',
      {
        'English (US)': lang(
          'English (US)',
          'How did we do, {{1}}? Reply with a number from 1 to 5.',
          'draft',
        ),
      },
      [field(0, 'first_name')],
    ),
    tpl(TEMPLATE_IDS.holidayHours, 'holiday_hours', 'UTILITY', {
      'English (US)': lang('English (US)', '{{1}}', 'pending', {
        outcome: {
          decision: 'reject',
          reason: 'INVALID_FORMAT: the message cannot start or end with a variable.',
          afterPolls: 2,
        },
      }),
    }),
  ];
}

/** The documented shape (ApiWhatsAppTemplate / ...BaseResponse) of a sandbox template. */
function render(t: SandboxTemplate, full: boolean, accountId: string) {
  const langs = Object.values(t.languages);
  const languages = Object.fromEntries(
    Object.entries(t.languages).map(([key, l]) => [
      key,
      {
        id: l.id,
        name: l.name,
        content: l.content,
        rejectionReason:
          l.state === 'rejected' || l.state === 'pending' || l.state === 'requested'
            ? (l.rejectionReason ?? null)
            : null,
        isActive: l.state === 'approved',
        isIncomplete: l.state === 'incomplete',
        isValidationRequested: l.state === 'requested',
        isPending: l.state === 'pending',
        updatedOnUtc: l.updatedOnUtc,
        fulfilledOnUtc: l.fulfilledOnUtc ?? null,
        createdOnUtc: l.createdOnUtc,
        rejectedOnUtc: l.rejectedOnUtc ?? null,
      },
    ]),
  );
  const rejected = langs.find((l) => l.state === 'rejected');
  const base = {
    id: t.id,
    accountId,
    templateCategoryId: t.templateCategoryId,
    facebookName: t.facebookName,
    facebookNamespaceId: '0a0a0a0a0a0a0a0a',
    name: t.name,
    category: t.category,
    languages,
    isActive: langs.length > 0 && langs.every((l) => l.state === 'approved'),
    isIncomplete: langs.some((l) => l.state === 'incomplete'),
    isValidationRequested: langs.some((l) => l.state === 'requested'),
    isPending: langs.some((l) => l.state === 'pending'),
    createdOnUtc: t.createdOnUtc,
    rejectedOnUtc: rejected?.rejectedOnUtc ?? null,
    cancelledOnUtc: null,
  };
  if (!full) return base;
  const updated =
    langs
      .map((l) => l.updatedOnUtc)
      .sort()
      .pop() ?? t.createdOnUtc;
  const fulfilled =
    langs
      .map((l) => l.fulfilledOnUtc ?? '')
      .sort()
      .pop() || null;
  return {
    ...base,
    settings: { replacementFields: t.replacementFields },
    rejectionReason: rejected?.rejectionReason ?? null,
    updatedOnUtc: updated,
    fulfilledOnUtc: fulfilled,
  };
}

/**
 * The `message_template_status_update` body Meta would send for a decision, as documented
 * (references/meta-template-webhook.md §1): the language by CODE, a 64-bit id above 2^53,
 * `rejection_info` only for INVALID_FORMAT. Serialise it with `metaJson` to keep the id's digits.
 */
export function metaEventBody(
  t: SandboxTemplate,
  c: { language: string; event: string; reason?: string | undefined },
) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        time: Math.floor(clock.now() / 1000),
        changes: [
          {
            field: 'message_template_status_update',
            value: {
              event: c.event,
              // A 64-bit integer above 2^53, sent as a bare JSON number as Meta does.
              message_template_id: metaTemplateId(t.id),
              message_template_name: t.facebookName,
              // Meta names the language by code; CM keys it by name.
              message_template_language: codeOfName(c.language) ?? c.language,
              message_template_category: t.category,
              reason: c.event === 'REJECTED' ? (c.reason?.split(':')[0] ?? 'NONE') : 'NONE',
              // Documented only for rejections with reason INVALID_FORMAT.
              ...(c.event === 'REJECTED' && c.reason?.startsWith('INVALID_FORMAT')
                ? {
                    rejection_info: {
                      reason: c.reason,
                      recommendation: 'Edit the template and submit it again.',
                    },
                  }
                : {}),
            },
          },
        ],
      },
    ],
  };
}

/**
 * Faults tests can script (`500`, `429` or `hang`, in order) on top of SANDBOX_FAULT_RATE, by
 * feeding the framework's `random` so its own fault path (and errorBody) answers them.
 */
export function scriptableFaults(
  rate: number,
  errorBody: FaultOptions['errorBody'],
  name: string,
): { options: FaultOptions; script: (kinds: Array<'500' | '429' | 'hang'>) => void } {
  // Unscripted draws come from the sandbox's seeded sequence when SANDBOX_FAULT_SEED is set, as
  // every other sandbox's do, so a fault test is repeatable.
  const draw = seededFromEnv(name) ?? Math.random;
  const kinds: Array<'500' | '429' | 'hang'> = ['500', '429', 'hang'];
  const queue: Array<'500' | '429' | 'hang'> = [];
  let nextKind: '500' | '429' | 'hang' | undefined;
  const options: FaultOptions = {
    rate: rate > 0 ? rate : Number.MIN_VALUE,
    kinds,
    errorBody,
    random: () => {
      if (nextKind) {
        const k = kinds.indexOf(nextKind);
        nextKind = undefined;
        return (k + 0.5) / kinds.length;
      }
      if (queue.length) {
        nextKind = queue.shift();
        return 0;
      }
      return rate > 0 ? draw() : 1;
    },
  };
  return { options, script: (k) => queue.push(...k) };
}

const scripts = new Map<string, (kinds: Array<'500' | '429' | 'hang'>) => void>();

/** Makes the named running sandbox (`cm-channels`, `commbox`) answer its next requests with these faults. */
export function scriptFaults(sandbox: string, kinds: Array<'500' | '429' | 'hang'>): void {
  const script = scripts.get(sandbox);
  if (!script) throw new Error(`no running sandbox ${sandbox}`);
  script(kinds);
}

export function registerFaultScript(sandbox: string, script: (kinds: Array<'500' | '429' | 'hang'>) => void) {
  scripts.set(sandbox, script);
}

export async function startCmChannelsSandbox(ctx: SandboxContext): Promise<ProviderSandbox> {
  const creds = SANDBOX_CREDENTIALS['cm-channels'];
  const store = new RecordStore<SandboxTemplate>(
    ctx.dataDir ? join(ctx.dataDir, 'sandbox', 'cm-channels-templates.jsonl') : undefined,
  );
  if (store.all().length === 0) for (const t of seeds(new Date(clock.now()).toISOString())) store.put(t);
  /** Decisions made since the last tick, for the Meta webhook. */
  const changes: Array<{
    templateId: string;
    language: string;
    event: 'APPROVED' | 'REJECTED';
    reason?: string;
  }> = [];

  const error = (status: number, message: string): SandboxResponse => ({ status, body: { message } });

  /** Checks the product token and the account of every call. */
  function guardAccount(req: SandboxRequest): SandboxResponse | undefined {
    if (req.headers['x-cm-producttoken'] !== creds.productToken)
      return error(
        401,
        'Authorization has been denied for this request: invalid or missing X-CM-PRODUCTTOKEN.',
      );
    if (!UUID.test(req.params.accountId ?? ''))
      return error(400, `The value '${req.params.accountId}' is not a valid account id.`);
    if (req.params.accountId?.toLowerCase() !== creds.accountId)
      return error(403, 'This product token has no access to that account.');
    return undefined;
  }

  /** ...and the WhatsApp channel request of every template call. */
  function guard(req: SandboxRequest): SandboxResponse | undefined {
    const denied = guardAccount(req);
    if (denied) return denied;
    if (!UUID.test(req.params.channelId ?? ''))
      return error(400, `The value '${req.params.channelId}' is not a valid channel request id.`);
    if (req.params.channelId?.toLowerCase() !== creds.channelRequestId)
      return error(404, 'WhatsApp channel request not found.');
    return undefined;
  }

  function find(req: SandboxRequest): SandboxTemplate | SandboxResponse {
    const id = req.params.templateId ?? '';
    if (!UUID.test(id)) return error(400, `The value '${id}' is not valid for templateId.`);
    return store.get(id.toLowerCase()) ?? error(404, 'Template not found.');
  }

  /** One poll: Meta moves on for every language waiting on it. */
  function poll(t: SandboxTemplate): void {
    const now = new Date(clock.now()).toISOString();
    t.polls += 1;
    for (const [key, l] of Object.entries(t.languages)) {
      if (l.state === 'requested') {
        l.state = 'pending';
        l.updatedOnUtc = now;
        continue;
      }
      if (l.state !== 'pending' || !l.outcome) continue;
      l.outcome.afterPolls -= 1;
      if (l.outcome.afterPolls > 0) continue;
      if (l.outcome.decision === 'approve') {
        Object.assign(l, {
          state: 'approved',
          fulfilledOnUtc: now,
          rejectionReason: undefined,
          rejectedOnUtc: undefined,
        });
        changes.push({ templateId: t.id, language: key, event: 'APPROVED' });
      } else {
        Object.assign(l, { state: 'rejected', rejectionReason: l.outcome.reason, rejectedOnUtc: now });
        changes.push({ templateId: t.id, language: key, event: 'REJECTED', reason: l.outcome.reason });
      }
      l.outcome = undefined;
      l.updatedOnUtc = now;
    }
    store.put(t);
  }

  const base = '/channels/v1/accounts/:accountId/whatsapp/:channelId/templates';
  const faults = scriptableFaults(
    ctx.faultRate,
    (status) => ({
      message: status === 429 ? 'Too many requests, slow down.' : 'An error has occurred.',
    }),
    'cm-channels',
  );
  registerFaultScript('cm-channels', faults.script);

  const running = await startSandbox(
    'cm-channels',
    [
      route('GET', '/channels/v1/accounts/:accountId/whatsapp/supportedlanguages', (req) => {
        const denied = guardAccount(req);
        if (denied) return denied;
        return { status: 200, body: SUPPORTED_LANGUAGES };
      }),
      // The languages active for this WhatsApp channel: here, every language a template uses.
      route('GET', '/channels/v1/accounts/:accountId/whatsapp/:channelId/languages', (req) => {
        const denied = guard(req);
        if (denied) return denied;
        const used = new Set(store.all().flatMap((t) => Object.keys(t.languages)));
        return { status: 200, body: SUPPORTED_LANGUAGES.filter((l) => used.has(l.name)) };
      }),
      route('GET', base, (req) => {
        const denied = guard(req);
        if (denied) return denied;
        const skip = Number(req.query.get('skip') ?? 0);
        const take = Number(req.query.get('take') ?? 100);
        if (!Number.isInteger(skip) || skip < 0) return error(400, "The value of 'skip' is not valid.");
        if (!Number.isInteger(take) || take < 1 || take > 100)
          return error(400, "The value of 'take' is not valid.");
        const q = (req.query.get('q') ?? '').toLowerCase();
        const items = store
          .all()
          .filter((t) => !q || t.name.toLowerCase().includes(q) || t.facebookName.toLowerCase().includes(q))
          .sort((a, b) => a.name.localeCompare(b.name));
        return {
          status: 200,
          body: items.slice(skip, skip + take).map((t) => render(t, false, creds.accountId)),
        };
      }),
      route('GET', `${base}/:templateId`, (req) => {
        const denied = guard(req);
        if (denied) return denied;
        const t = find(req);
        if ('status' in t) return t;
        poll(t);
        return { status: 200, body: render(t, true, creds.accountId) };
      }),
      route('POST', `${base}/:templateId/validate`, (req) => {
        const denied = guard(req);
        if (denied) return denied;
        const t = find(req);
        if ('status' in t) return t;
        const langs = Object.entries(t.languages);
        const incomplete = langs.filter(([, l]) => l.state === 'incomplete' || !l.content.trim());
        if (langs.length === 0 || incomplete.length > 0)
          return error(
            400,
            `The template is incomplete: ${incomplete.map(([k]) => k).join(', ') || 'no languages'}.`,
          );
        const now = new Date(clock.now()).toISOString();
        for (const [, l] of langs) {
          if (l.state !== 'draft' && l.state !== 'rejected') continue;
          Object.assign(l, {
            state: 'requested',
            updatedOnUtc: now,
            outcome: { decision: 'approve', afterPolls: DECIDE_AFTER_POLLS },
          });
        }
        t.validations += 1;
        store.put(t);
        return { status: 202, body: render(t, true, creds.accountId) };
      }),
    ],
    Object.assign(faults.options, { controlToken: ctx.controlToken }),
  );

  return {
    name: 'cm-channels',
    envVar: 'CM_CHANNELS_BASE_URL',
    basePath: '/channels/v1',
    running,
    async tick() {
      if (changes.length === 0) return;
      const { webhookUrl } = await import('../../security/webhooks.js');
      const { tenantId } = await import('../../store/keys.js');
      const url = await webhookUrl(tenantId('T0SANDBOX'), 'meta');
      const secret = SANDBOX_CREDENTIALS.meta.appSecret;
      for (const c of changes.splice(0)) {
        const t = store.get(c.templateId);
        if (!t) continue;
        const body = metaEventBody(t, c);
        await deliverWebhook(url, metaJson(body), (raw) => ({
          'x-hub-signature-256': `sha256=${hmacHex(secret, raw)}`,
        }));
      }
    },
    state() {
      return {
        templates: store
          .all()
          .map((t) => ({ ...render(t, true, creds.accountId), polls: t.polls, validations: t.validations })),
      };
    },
  };
}

import type { KnownBlock, View } from '@slack/types';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { registeredCmSignWebhook } from '../invites/port.js';
import {
  type CredentialMeta,
  type Credentials,
  getStoredCredentials,
  listCredentialMeta,
  sandboxCredentialsInUse,
} from '../providers/credentials.js';
import {
  type CredentialProvider,
  credentialSchemas,
  PROVIDER_LABELS,
  PROVIDER_LIST,
  PROVIDER_NAMES,
} from '../providers/index.js';
import type { ConnectField, CredentialCheck } from '../providers/provider.js';
import { zavuWebhookStatus } from '../providers/zavu/registration.js';
import { webhookUrl } from '../security/webhooks.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { slackTime } from '../slack/dates.js';
import { esc } from '../slack/mrkdwn.js';
import type { TenantId } from '../store/keys.js';

/**
 * `/wa connect`: one modal. The home view lists each provider (set by whom and when, or not
 * set) with a button; the button turns the modal into that provider's form (views.update, so
 * there is never a stale view underneath); saving or removing turns it back into the home
 * view with a notice. Values are validated with the credential schemas, sealed at rest, never
 * put back into a view, never logged.
 */

export type Field = ConnectField;

export const PROVIDERS = PROVIDER_NAMES;

/** Each provider's form, as its descriptor (src/providers/<name>/provider.ts) says. */
export const CONNECT_FORMS = Object.fromEntries(PROVIDER_LIST.map((p) => [p.name, p.connect])) as Record<
  CredentialProvider,
  { help: string; fields: Field[] }
>;

const blockIdOf = (key: string) => `f_${key}`;
const ACTION_ID = 'value';

export { isProvider } from '../providers/index.js';

function title(text: string) {
  return { type: 'plain_text' as const, text: text.length > 24 ? `${text.slice(0, 23)}…` : text };
}

function changedLine(meta: CredentialMeta): string {
  const date = slackTime(meta.changedAt);
  const who = /^[UW][A-Z0-9]{2,20}$/.test(meta.changedBy) ? `<@${meta.changedBy}>` : 'someone';
  return `set, last changed by ${who} on ${date}`;
}

function checkIcon(meta: CredentialMeta): string {
  switch (meta.check?.status) {
    case 'valid':
      return ':large_green_circle:';
    case 'refused':
      return ':red_circle:';
    case 'unreachable':
      return ':large_yellow_circle:';
    default:
      return ':white_circle:';
  }
}

/** What the provider said when they were saved (the check of `/wa connect`). */
function checkLine(provider: CredentialProvider, meta: CredentialMeta): string {
  const label = PROVIDER_LABELS[provider];
  const c = meta.check;
  if (!c) return `\n:hourglass_flowing_sand: not checked with ${label} yet`;
  return `\n${checkWords(provider, c)}`;
}

/** The result of a credential check in words, the provider's own quoted (and escaped). */
export function checkWords(provider: CredentialProvider, c: CredentialCheck): string {
  const label = PROVIDER_LABELS[provider];
  switch (c.status) {
    case 'valid':
      return `:white_check_mark: accepted by ${label}`;
    case 'refused':
      return `:x: *refused by ${label}*: ${esc(c.detail)}. Commands that use ${label} will fail until they are replaced.`;
    case 'unreachable':
      return `:warning: ${label} could not be reached to check them (${esc(c.detail)}); the first command that uses them shows whether they work`;
    case 'unchecked':
      return `:information_source: not checked: ${esc(c.detail)}`;
  }
}

export async function homeView(tenant: TenantId, notice?: string): Promise<View> {
  const metas = new Map((await listCredentialMeta(tenant)).map((m) => [m.provider, m]));
  const [zavu, cmSign, meta, cmSignHook] = await Promise.all([
    webhookUrl(tenant, 'zavu'),
    webhookUrl(tenant, 'cm-sign'),
    webhookUrl(tenant, 'meta'),
    registeredCmSignWebhook(tenant),
  ]);
  const blocks: KnownBlock[] = [];
  if (notice) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: notice } });
  blocks.push(
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: "Credentials this workspace's `/wa` commands use with each provider. They are encrypted with this workspace's key and never shown again: to change one, enter it anew.",
      },
    },
    { type: 'divider' },
  );
  const zavuHook = metas.has('zavu') ? await zavuHookState(tenant) : undefined;
  const sandbox = sandboxCredentialsInUse();
  for (const p of PROVIDERS) {
    const m = metas.get(p);
    blocks.push({
      type: 'section',
      block_id: `p_${p}`,
      text: {
        type: 'mrkdwn',
        text: `*${PROVIDER_LABELS[p]}*\n${m ? `${checkIcon(m)} ${changedLine(m)}${checkLine(p, m)}` : sandbox ? ':large_blue_circle: sandbox credentials in use (local stack); set your own to use the real provider' : ':white_circle: not set'}`,
      },
      accessory: {
        type: 'button',
        action_id: `connect:edit:${p}`,
        value: p,
        text: { type: 'plain_text', text: m ? 'Change or remove' : 'Set' },
      },
    });
  }
  blocks.push(
    { type: 'divider' },
    {
      type: 'section',
      block_id: 'webhooks',
      text: {
        type: 'mrkdwn',
        text: [
          "*Webhook URLs* for this workspace (paste them into each provider's webhook settings):",
          `• Zavu: \`${zavu}\` (registered with Zavu when its API key is saved; see below)`,
          cmSignHook?.url === cmSign
            ? `• CM.com Sign: :large_green_circle: registered with CM.com Sign (\`${cmSign}\`, secret in an \`x-webhook-secret\` header)`
            : `• CM.com Sign: :white_circle: not registered yet; saving CM.com Sign credentials registers \`${cmSign}\``,
          `• Meta: \`${meta}\` (verify token and app secret from Meta above)`,
        ].join('\n'),
      },
    },
    zavuWebhookBlock(zavuHook),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Only workspace admins/owners and the allowlist (`/wa admins list`) can use this form. Every change is in `/wa audit`.',
        },
      ],
    },
  );
  return {
    type: 'modal',
    callback_id: 'connect:home',
    title: title('Provider credentials'),
    close: { type: 'plain_text', text: 'Done' },
    blocks,
  };
}

/** Whether Zavu has this workspace's webhook, from what /wa connect recorded. */
async function zavuHookState(tenant: TenantId) {
  try {
    const [registered, creds] = await Promise.all([
      zavuWebhookStatus(tenant),
      getStoredCredentials(tenant, 'zavu'),
    ]);
    return { registered, hasSecret: Boolean(creds?.webhookSecret) };
  } catch {
    return { registered: undefined, hasSecret: false };
  }
}

function zavuWebhookBlock(hook: Awaited<ReturnType<typeof zavuHookState>> | undefined): KnownBlock {
  const text = !hook
    ? ':white_circle: *Zavu webhook:* not registered. Saving a Zavu API key registers it.'
    : hook.registered
      ? `:large_green_circle: *Zavu webhook:* registered with Zavu for \`invitation.status_changed\` on ${slackTime(hook.registered.registeredAt)}; its signing secret is stored.`
      : hook.hasSecret
        ? ':large_yellow_circle: *Zavu webhook:* not registered by `/wa connect`; a signing secret typed by hand is used. Register it to let Zavu send it here.'
        : ':red_circle: *Zavu webhook:* not registered, so Zavu sends no updates here (invitations are followed by polling only).';
  return {
    type: 'section',
    block_id: 'zavu_webhook',
    text: { type: 'mrkdwn', text },
    ...(hook
      ? {
          accessory: {
            type: 'button' as const,
            action_id: 'connect:register:zavu',
            value: 'zavu',
            text: {
              type: 'plain_text' as const,
              text: hook.registered ? 'Register again' : 'Register webhook',
            },
          },
        }
      : {}),
  };
}

export function formView(provider: CredentialProvider, meta?: CredentialMeta): View {
  const form = CONNECT_FORMS[provider];
  const isSet = Boolean(meta);
  // Vonage takes one of two shapes, so its inputs are all optional and checked on submission.
  const optional = isSet || provider === 'vonage';
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `${form.help}${meta ? `\n:large_green_circle: Currently ${changedLine(meta)}. *Leave a field empty to keep its current value.*` : ''}`,
      },
    },
  ];
  for (const f of form.fields) {
    blocks.push({
      type: 'input',
      block_id: blockIdOf(f.key),
      optional: optional || Boolean(f.optional),
      label: { type: 'plain_text', text: f.label },
      ...(f.hint ? { hint: { type: 'plain_text', text: f.hint } } : {}),
      element: {
        type: 'plain_text_input',
        action_id: ACTION_ID,
        max_length: f.max,
        ...(f.multiline ? { multiline: true } : {}),
      },
    });
  }
  blocks.push({
    type: 'actions',
    block_id: 'nav',
    elements: [
      { type: 'button', action_id: 'connect:back', text: { type: 'plain_text', text: '← All providers' } },
      ...(isSet
        ? [
            {
              type: 'button' as const,
              action_id: `connect:remove:${provider}`,
              value: provider,
              style: 'danger' as const,
              text: { type: 'plain_text' as const, text: 'Remove credentials' },
              confirm: {
                title: { type: 'plain_text' as const, text: 'Remove credentials?' },
                text: {
                  type: 'plain_text' as const,
                  text: `Commands that use ${PROVIDER_LABELS[provider]} will stop working in this workspace until new credentials are set.`,
                },
                confirm: { type: 'plain_text' as const, text: 'Remove' },
                deny: { type: 'plain_text' as const, text: 'Keep' },
                style: 'danger' as const,
              },
            },
          ]
        : []),
    ],
  });
  return {
    type: 'modal',
    callback_id: 'connect:form',
    private_metadata: JSON.stringify({ provider }),
    title: title(PROVIDER_LABELS[provider]),
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

export type FormValues = Record<string, string | null | undefined>;

export type FormResult<P extends CredentialProvider> =
  | { ok: true; value: Credentials<P> }
  | { ok: false; errors: Record<string, string> };

/** Words for a schema issue; never the value itself. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const i = issue as { code: string; format?: string; minimum?: unknown; maximum?: unknown; input?: unknown };
  if (i.code === 'invalid_type') return 'Required.';
  if (i.code === 'too_small') return `Too short: at least ${i.minimum} characters.`;
  if (i.code === 'too_big') return `Too long: at most ${i.maximum} characters.`;
  if (i.code === 'invalid_format') {
    if (i.format === 'uuid') return 'Must be a GUID like 3f2c8a4e-1b7d-4c9a-9e2f-0a1b2c3d4e5f.';
    if (i.format === 'includes') return 'Paste the whole PEM key, with its BEGIN/END PRIVATE KEY lines.';
    if (i.format === 'regex') return 'Must be a JWT: three base64url parts separated by dots.';
  }
  return 'Not valid.';
}

/**
 * Turns a submitted form into credentials. Empty fields keep the stored value (when the
 * provider is set); every error is keyed by the input's block id for `response_action: errors`.
 */
export function parseConnectForm<P extends CredentialProvider>(
  provider: P,
  values: FormValues,
  stored?: Credentials<P>,
): FormResult<P> {
  const form = CONNECT_FORMS[provider];
  const errors: Record<string, string> = {};
  const given: Record<string, string> = {};
  for (const f of form.fields) {
    const raw = values[f.key];
    if (typeof raw !== 'string') continue;
    const v = raw.trim();
    if (v.length > f.max) errors[blockIdOf(f.key)] = `Too long: at most ${f.max} characters.`;
    else if (v) given[f.key] = v;
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  const first = blockIdOf((form.fields[0] as Field).key);
  if (Object.keys(given).length === 0) {
    return {
      ok: false,
      errors: {
        [first]: stored
          ? 'Nothing to change: enter new values, or remove the credentials.'
          : provider === 'vonage'
            ? 'Required: an application id and private key, or a bearer JWT.'
            : 'Required.',
      },
    };
  }

  let schema: z.ZodType;
  let value: Record<string, unknown>;
  const base = (stored ?? {}) as Record<string, unknown>;
  if (provider === 'vonage') {
    const [appShape, jwtShape] = credentialSchemas.vonage.options;
    const app = 'applicationId' in given || 'privateKey' in given;
    if (app && 'bearerJwt' in given) {
      return {
        ok: false,
        errors: {
          [blockIdOf('bearerJwt')]: 'Give an application id and private key, or a bearer JWT: not both.',
        },
      };
    }
    if (app) {
      schema = appShape;
      value = {
        applicationId: given.applicationId ?? base.applicationId,
        privateKey: given.privateKey ?? base.privateKey,
      };
    } else {
      schema = jwtShape;
      value = { bearerJwt: given.bearerJwt };
    }
  } else {
    schema = credentialSchemas[provider];
    value = { ...base, ...given };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data as Credentials<P> };
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? (form.fields[0] as Field).key);
    errors[blockIdOf(key)] ??= describeIssue(issue);
  }
  return { ok: false, errors };
}

/** Reads `view.state.values` into field values, by block id. */
export function formValues(
  provider: CredentialProvider,
  state: Record<string, Record<string, { value?: string | null }>> | undefined,
): FormValues {
  const out: FormValues = {};
  for (const f of CONNECT_FORMS[provider].fields) out[f.key] = state?.[blockIdOf(f.key)]?.[ACTION_ID]?.value;
  return out;
}

/** The slash command: opens the home view (it may call Slack, never a provider). */
export async function openConnect(_input: unknown, ctx: CommandContext): Promise<Reply> {
  if (!ctx.triggerId)
    throw new UserError('Slack sent no trigger to open the form with; run `/wa connect` again.');
  await ctx.client.views.open({ trigger_id: ctx.triggerId, view: await homeView(ctx.tenant) });
  return { response_type: 'ephemeral', text: ':gear: Opened the provider credentials form.' };
}

import { z } from 'zod';
import { clock } from '../clock.js';
import { UserError } from '../errors.js';
import type { FormField } from '../slack/forms.js';
import { name } from '../slack/schemas.js';
import type { TenantId } from '../store/keys.js';
import { clientKey, nearMisses } from './names.js';
import { getClient, knownClients, recordWork, saveClient } from './repository.js';

/**
 * What other features use of clients, on purpose: the `--client` flag every start command and
 * form takes, resolving it to a client (or refusing a near miss), and recording work under it.
 */

/** The flags and schema keys of `--client "<name>" [--new-client]`, for a command's spec. */
export const clientFlags = { client: 'value', 'new-client': 'boolean' } as const;
export const clientFields = {
  client: name('client name', 100).optional(),
  // A flag from the command, or the form's "New client" choice.
  'new-client': z.preprocess((v) => (v === 'true' ? true : v), z.boolean()).optional(),
};

/** The form field's hint: what naming a client does. */
export const CLIENT_HINT =
  'Lists this under the client in /wa client. Case, spacing and accents do not matter; a near miss of a known client is questioned.';

/** The form fields of a client, for every form that starts work. */
export const CLIENT_FIELDS = [
  {
    key: 'client',
    label: 'Client',
    kind: 'text',
    optional: true,
    placeholder: 'Acme Foods',
    hint: CLIENT_HINT,
  },
  {
    key: 'new-client',
    label: 'New client',
    kind: 'select',
    optional: true,
    options: [{ value: 'true', label: 'Yes: a new client with this name' }],
  },
] as const satisfies readonly FormField[];

export interface ClientRef {
  key: string;
  /** As the workspace first typed it. */
  name: string;
  /** Not known yet: recorded once the work is started (`rememberClient`). */
  isNew: boolean;
}

/**
 * The client a typed name means: a known client whatever the case, spacing or accents; a new
 * one when nothing known is close; refused with the candidates when it is a near miss, unless
 * `newClient` says a new client is meant. Reads only.
 */
export async function resolveClient(
  tenant: TenantId,
  typed: string | undefined,
  newClient = false,
  /** The input it came from, for a form to show the refusal beside it. */
  field = 'client',
): Promise<ClientRef | undefined> {
  if (typed === undefined) return undefined;
  const key = clientKey(typed);
  if (!key) throw new UserError('--client: a client name needs letters or digits', 'bad_client', { field });
  const known = await getClient(tenant, key);
  if (known) return { key, name: known.name, isNew: false };
  if (!newClient) {
    const near = nearMisses(key, await knownClients(tenant)).slice(0, 3);
    if (near.length > 0) {
      const names = near.map((c) => `*${c.name.replace(/[*_~`<>&]/g, '')}*`).join(' or ');
      throw new UserError(
        `No client named “${typed.trim().replace(/[*_~`<>&]/g, '')}” yet. Did you mean ${names}? Use \`--client\` with that name, or add \`--new-client\` (in a form: New client → Yes) to start a new client.`,
        'client_near_miss',
        { field },
      );
    }
  }
  return { key, name: typed.trim(), isNew: true };
}

/**
 * The client a start names, for a handler: `client` is resolved alongside the start's checks
 * (hand it to startJob, which throws its refusal instead of writing the job); `remembered`
 * records a client first named here, alongside the job's writes (await it before answering).
 */
export function startClient(
  ctx: { tenant: TenantId; userId: string },
  typed: string | undefined,
  newClient?: boolean,
  field?: string,
): { client: Promise<ClientRef | undefined>; remembered: Promise<void> } {
  const client = resolveClient(ctx.tenant, typed, newClient, field);
  client.catch(() => undefined);
  const remembered = client
    .then((c) => rememberClient(ctx.tenant, c, ctx.userId, clock.now()))
    .catch(() => undefined);
  return { client, remembered };
}

/** Records a client first named by this work (after the work is started). */
export async function rememberClient(tenant: TenantId, ref: ClientRef | undefined, by: string, now: number) {
  if (ref?.isNew) await saveClient(tenant, { key: ref.key, name: ref.name, createdAt: now, createdBy: by });
}

/** An opt-in recorded for a client (jobs are listed under theirs by the engine). */
export async function recordOptInForClient(
  tenant: TenantId,
  ref: ClientRef,
  optIn: { phone: string; summary: string; by: string; at: number },
): Promise<void> {
  await recordWork(tenant, ref.key, {
    type: 'optin',
    id: optIn.phone,
    at: optIn.at,
    summary: optIn.summary,
    by: optIn.by,
  });
}

import type { JobKind } from '../jobs/kinds.js';
import { logger } from '../log.js';
import { getStoredCredentials, recordCredentialCheck } from '../providers/credentials.js';
import { isProvider, PROVIDER_LABELS, providers } from '../providers/index.js';
import type { CredentialCheck } from '../providers/provider.js';
import { slackClientFor } from '../slack/tenant-client.js';
import { checkWords, homeView } from './connect.js';
import { CheckPayload, credentialCheckKind } from './kinds.js';

/**
 * The check `/wa connect` starts when credentials are saved: the provider's one cheap read-only
 * call (its descriptor's `check`, cited in its folder), the answer kept beside the credentials,
 * and shown in the modal that saved them (or, once it is closed, to the admin alone).
 */
export const credentialCheck: JobKind<CheckPayload> = {
  kind: credentialCheckKind.id,
  payload: CheckPayload,
  maxAttempts: 3,
  readOnly: () => true,
  async step(job, io) {
    const { provider, changedAt, viewId } = job.payload;
    if (!isProvider(provider)) return { type: 'fail', reason: `no provider ${provider}` };
    const creds = await getStoredCredentials(job.tenant, provider);
    if (!creds) return { type: 'done' }; // removed meanwhile
    const descriptor = providers[provider] as {
      check?: (c: unknown, ctx: { tenant: typeof job.tenant }) => Promise<CredentialCheck>;
    };
    const check: CredentialCheck = descriptor.check
      ? await descriptor.check(creds, { tenant: job.tenant })
      : { status: 'unchecked', detail: `${PROVIDER_LABELS[provider]} has no check` };
    const kept = await recordCredentialCheck(job.tenant, provider, changedAt, check);
    if (!kept) return { type: 'done' }; // replaced meanwhile: their own check says what they are
    // Kept beside the credentials (shown in /wa connect), not in the audit trail: no person acted.
    const words = `*${PROVIDER_LABELS[provider]}*: ${checkWords(provider, check)}.`;
    if (viewId) {
      try {
        const client = await slackClientFor(job.tenant);
        await client.views.update({ view_id: viewId, view: await homeView(job.tenant, words) });
        return { type: 'done' };
      } catch (err) {
        // Closed meanwhile: the admin hears it alone.
        logger.info('connect modal gone; answering the admin directly', { error: err as Error });
      }
    }
    await io.answer({ text: words });
    return { type: 'done' };
  },
};

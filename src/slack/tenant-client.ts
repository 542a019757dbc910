import { WebClient } from '@slack/web-api';
import { clock } from '../clock.js';
import { config } from '../config.js';
import type { TenantId } from '../store/keys.js';
import { installProvider } from './oauth.js';

const TTL_MS = 5 * 60_000;
const clients = new Map<string, { client: WebClient; until: number }>();

/**
 * A Web API client with the tenant's bot token, for code that runs outside a Slack request
 * (workers, webhooks). The token comes from InstallProvider.authorize, which refreshes rotated
 * tokens; clients are reused for a few minutes.
 */
export async function slackClientFor(tenant: TenantId, now = clock.now()): Promise<WebClient> {
  const hit = clients.get(tenant);
  if (hit && hit.until > now) return hit.client;
  const isEnterprise = tenant.startsWith('E');
  const auth = await (await installProvider()).authorize({
    teamId: isEnterprise ? undefined : tenant,
    enterpriseId: isEnterprise ? tenant : undefined,
    isEnterpriseInstall: isEnterprise,
  });
  const apiUrl = config().slack.apiUrl;
  const client = new WebClient(auth.botToken, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 2 },
  });
  // Rotated tokens expire: never cache a client past its token's expiry.
  const until = Math.min(
    now + TTL_MS,
    auth.botTokenExpiresAt ? auth.botTokenExpiresAt * 1000 - 60_000 : Infinity,
  );
  clients.set(tenant, { client, until });
  return client;
}

export function clearSlackClients(): void {
  clients.clear();
}

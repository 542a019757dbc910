import { InstallProvider, LogLevel } from '@slack/oauth';
import { config } from '../config.js';
import { DynamoInstallationStore } from './installation-store.js';
import { slackLogger } from './slack-logger.js';

/** Bot scopes the app uses; the manifest in slack/manifest.json lists the same. */
export const BOT_SCOPES = ['commands', 'chat:write', 'chat:write.public', 'users:read', 'files:read'];

let provider: InstallProvider | undefined;
let providerConfig: ReturnType<typeof config> | undefined;

export function installProvider(): InstallProvider {
  // One per cold start; a reloaded configuration (a restarted local stack) gets a new one.
  if (!provider || providerConfig !== config()) {
    const c = config();
    providerConfig = c;
    provider = new InstallProvider({
      clientId: c.slack.clientId,
      clientSecret: c.slack.clientSecret,
      stateSecret: c.slack.stateSecret,
      installationStore: new DynamoInstallationStore(),
      installUrlOptions: { scopes: BOT_SCOPES, redirectUri: `${c.publicUrl}/slack/oauth_redirect` },
      directInstall: true,
      logger: slackLogger('slack-oauth'),
      logLevel: LogLevel.WARN,
      ...(c.slack.authorizeUrl ? { authorizationUrl: c.slack.authorizeUrl } : {}),
      ...(c.slack.apiUrl ? { clientOptions: { slackApiUrl: c.slack.apiUrl } } : {}),
    });
  }
  return provider;
}

export function installUrl(): string {
  return `${config().publicUrl}/slack/install`;
}

import { InstallProvider, LogLevel } from '@slack/oauth';
import { config } from '../config.js';
import { DynamoInstallationStore } from './installation-store.js';
import { slackSecrets } from './secrets.js';
import { slackLogger } from './slack-logger.js';

/** Bot scopes the app uses; the manifest in slack/manifest.json lists the same. */
/** `files:read`: files.info and the private download of a PDF sent for signature (src/invites/document.ts). */
export const BOT_SCOPES = ['commands', 'chat:write', 'chat:write.public', 'users:read', 'files:read'];

let built:
  | { config: ReturnType<typeof config>; secrets: Promise<unknown>; provider: Promise<InstallProvider> }
  | undefined;

/**
 * One InstallProvider per read of the Slack settings (src/slack/secrets.ts: at cold start and
 * every few minutes, so a rotated client or state secret is taken up); a reloaded configuration
 * (a restarted local stack) gets a new one.
 * Rejects with SlackNotConfiguredError until the settings are set (the first deploy).
 */
export function installProvider(): Promise<InstallProvider> {
  const c = config();
  const secrets = slackSecrets();
  if (!built || built.config !== c || built.secrets !== secrets) {
    const provider = secrets.then(
      (s) =>
        new InstallProvider({
          clientId: s.clientId,
          clientSecret: s.clientSecret,
          stateSecret: s.stateSecret,
          installationStore: new DynamoInstallationStore(),
          installUrlOptions: { scopes: BOT_SCOPES, redirectUri: `${c.publicUrl}/slack/oauth_redirect` },
          directInstall: true,
          logger: slackLogger('slack-oauth'),
          logLevel: LogLevel.WARN,
          ...(c.slack.authorizeUrl ? { authorizationUrl: c.slack.authorizeUrl } : {}),
          ...(c.slack.apiUrl ? { clientOptions: { slackApiUrl: c.slack.apiUrl } } : {}),
        }),
    );
    built = { config: c, secrets, provider };
    // A failed read is tried again (slackSecrets() throttles it), not kept for the instance's life.
    provider.catch(() => {
      if (built?.provider === provider) built = undefined;
    });
  }
  return built.provider;
}

export function installUrl(): string {
  return `${config().publicUrl}/slack/install`;
}

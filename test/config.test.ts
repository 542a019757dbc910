import { describe, expect, it } from 'vitest';
import { DEV_SIGNING_SECRET, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('treats empty variables as unset, so .env.example values load as defaults', () => {
    const c = loadConfig({ LOCAL_MASTER_KEY: '', SLACK_SIGNING_SECRET: '', PUBLIC_URL: '', QUEUE_URL: '' });
    expect(c.slack.signingSecret).toBe(DEV_SIGNING_SECRET);
    expect(c.localMasterKey?.length).toBe(32);
    expect(c.publicUrl).toBe('http://127.0.0.1:3000');
    expect(c.queueUrl).toBeUndefined();
  });

  it('fails loudly, naming the variable, on a bad value', () => {
    expect(() => loadConfig({ DUE_SHARDS: '0' })).toThrow(/DUE_SHARDS/);
    expect(() => loadConfig({ PUBLIC_URL: 'not a url' })).toThrow(/PUBLIC_URL/);
  });

  it('outside the local stack, takes no Slack setting from the environment and falls back to no sandbox value', () => {
    const aws = {
      KMS_KEY_ID: 'arn:aws:kms:eu-west-1:1:key/x',
      SLACK_PARAMETERS: '/wa-onboarding/dev/slack/',
    };
    expect(() => loadConfig({ KMS_KEY_ID: 'k' })).toThrow(/SLACK_PARAMETERS is required/);
    expect(() => loadConfig({ ...aws, SLACK_SIGNING_SECRET: 's' })).toThrow(
      /SLACK_SIGNING_SECRET must not be set/,
    );
    expect(() => loadConfig({ ...aws, SLACK_CLIENT_ID: 'sandbox-client-id' })).toThrow(
      /SLACK_CLIENT_ID must not/,
    );
    expect(() => loadConfig({ ...aws, SLACK_PARAMETERS: 'wa/dev' })).toThrow(/SLACK_PARAMETERS/);
    const c = loadConfig(aws);
    expect(c.localMasterKey).toBeUndefined();
    expect(c.slack).toMatchObject({
      parameters: '/wa-onboarding/dev/slack/',
      signingSecret: undefined,
      clientId: undefined,
      clientSecret: undefined,
      stateSecret: undefined,
    });
  });

  it('never uses sandbox credentials outside the local stack', () => {
    expect(loadConfig({ SANDBOX_CREDENTIALS: 'true' }).sandboxCredentials).toBe(true);
    expect(
      loadConfig({ SANDBOX_CREDENTIALS: 'true', KMS_KEY_ID: 'k', SLACK_PARAMETERS: '/wa/dev/slack/' })
        .sandboxCredentials,
    ).toBe(false);
  });
});

import { generateKeyPair, generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import {
  type CredentialProvider,
  type Credentials,
  installFallbackCredentials,
} from '../providers/credentials.js';

/**
 * Sandbox-only credentials: what the local stack's provider sandboxes accept, installed by the
 * local stack (`installSandboxCredentials`) for workspaces without their own. Nothing outside
 * src/sandbox (and tests) imports this, so no deployed bundle carries it.
 */

let sandboxApp: { applicationId: string; privateKey: string } | undefined;
const SANDBOX_APPLICATION_ID = '5a4d1b3c-0e6f-4a7b-9c8d-000000000001';
const pem = (key: import('node:crypto').KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/**
 * The Vonage application the sandbox knows (local stack only): a key pair made once per
 * process, so the sandbox can check signatures as Vonage does, and no key sits in the
 * repository. The sandbox makes it at start (`prepareSandboxVonageApplication`, off the event
 * loop); a caller without a sandbox gets one made on first use.
 */
export function sandboxVonageApplication(): { applicationId: string; privateKey: string } {
  sandboxApp ??= {
    applicationId: SANDBOX_APPLICATION_ID,
    privateKey: pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
  };
  return sandboxApp;
}

export async function prepareSandboxVonageApplication(): Promise<void> {
  if (sandboxApp) return;
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  sandboxApp ??= { applicationId: SANDBOX_APPLICATION_ID, privateKey: pem(privateKey) };
}

/** The provider sandboxes accept these; the local stack uses them for workspaces without their own. */
export const SANDBOX_CREDENTIALS: { [P in CredentialProvider]: Credentials<P> } = {
  'cm-sign': {
    keyId: 'sandbox-key-id',
    secret: 'sandbox-cm-sign-secret-0123456789',
    webhookSecret: 'sandbox-cm-sign-webhook-secret-0123',
  },
  'cm-channels': {
    productToken: 'sandbox-product-token',
    accountId: '00000000-0000-4000-8000-000000000001',
    channelRequestId: '00000000-0000-4000-8000-00000000c4a1',
  },
  zavu: { apiKey: 'zv_sandbox_api_key', webhookSecret: 'whsec_sandbox_zavu' },
  // Shaped like a real encrypted stream id (base64, may hold `/` and `+`, ends in `==`): only a
  // URL-encoded id reaches the sandbox's route.
  commbox: { apiKey: 'commbox-sandbox-key', streamId: 'sbx/Q2b+x7RkPw9Ax2fE0hZb==' },
  // An application id and private key, as Vonage issues them: made once per process, on first use.
  get vonage() {
    return sandboxVonageApplication();
  },
  meta: { appSecret: 'sandbox-meta-app-secret', verifyToken: 'sandbox-meta-verify-token' },
  // Shaped like Meta's: a system user token starts with EAA, an app id is digits.
  'meta-cloud': { accessToken: 'EAAsandboxSystemUserToken0123456789', applicationId: '100000000000001' },
};

/** Lets a workspace without credentials of its own use the sandboxes' (local stack only). */
export function installSandboxCredentials(): void {
  installFallbackCredentials((provider) => SANDBOX_CREDENTIALS[provider]);
}

import type { z } from 'zod';
import { cmChannelsProvider } from './cm-channels/provider.js';
import { cmSignProvider } from './cm-sign/provider.js';
import { commboxProvider } from './commbox/provider.js';
import { metaProvider } from './meta/provider.js';
import { metaCloudProvider } from './meta-cloud/provider.js';
import { vonageProvider } from './vonage/provider.js';
import { zavuProvider } from './zavu/provider.js';

/**
 * The one list of providers, in the order `/wa connect` shows them. Credential validation, the
 * connect forms and the words of a provider's failures all come from here; adding a provider is
 * its folder (client, schemas, provider.ts) and one line below.
 */
export const PROVIDER_LIST = [
  cmSignProvider,
  cmChannelsProvider,
  zavuProvider,
  commboxProvider,
  vonageProvider,
  metaProvider,
  metaCloudProvider,
] as const;

type Descriptor = (typeof PROVIDER_LIST)[number];

export const providers = Object.fromEntries(PROVIDER_LIST.map((p) => [p.name, p])) as {
  [D in Descriptor as D['name']]: D;
};

export type CredentialProvider = keyof typeof providers;
export type Credentials<P extends CredentialProvider> = z.output<(typeof providers)[P]['credentials']>;

/** What each provider needs, validated on the way in (the connect modal) and out. */
export const credentialSchemas = Object.fromEntries(PROVIDER_LIST.map((p) => [p.name, p.credentials])) as {
  [P in CredentialProvider]: (typeof providers)[P]['credentials'];
};

export const PROVIDER_LABELS = Object.fromEntries(PROVIDER_LIST.map((p) => [p.name, p.label])) as Record<
  CredentialProvider,
  string
>;

export const PROVIDER_NAMES = PROVIDER_LIST.map((p) => p.name) as CredentialProvider[];

export function isProvider(p: unknown): p is CredentialProvider {
  return typeof p === 'string' && Object.hasOwn(providers, p);
}

import type {
  InvitationCreateParams,
  InvitationListParams,
  Invitation as SdkInvitation,
} from '@zavudev/sdk/resources/invitations';
import type { SenderWebhook, WebhookEvent } from '@zavudev/sdk/resources/senders/senders';
import { describe, expect, it } from 'vitest';
import {
  type ConnectedAccount,
  type ConnectionType,
  type CreateInvitationRequest,
  INVITATION_EVENT,
  INVITATION_STATUSES,
  type Invitation,
  type InvitationStatus,
  type InvitationStatusChanged,
} from '../../src/providers/zavu/schemas.js';
import type { ZavuSignatureVersion } from '../../src/security/signatures.js';

/**
 * Type-level checks: `tsc --noEmit` (part of `npm test`) fails when our zod schemas drift from the
 * official SDK's types (`@zavudev/sdk`, a devDependency used for its types only). The runtime
 * assertions below only make the file a test; the checks are the `Assert<…>` lines.
 */

/** The named fields of a loose (passthrough) schema's output, without its index signature. */
type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
type Extends<A, B> = [A] extends [B] ? true : false;
type Same<A, B> = Extends<A, B> extends true ? Extends<B, A> : false;
type Assert<T extends true> = T;

// Invitation object: same fields, each value assignable both ways.
type OurInvitation = Omit<Known<Invitation>, 'connectedAccount'> & {
  connectedAccount?: Known<ConnectedAccount> | null;
};
type InvitationMatchesSdk = Assert<Same<keyof OurInvitation, keyof SdkInvitation>>;
type InvitationToSdk = Assert<Extends<OurInvitation, SdkInvitation>>;
type SdkToInvitation = Assert<Extends<SdkInvitation, OurInvitation>>;
type StatusesMatchSdk = Assert<Same<InvitationStatus, SdkInvitation['status']>>;
type ListStatusMatchesSdk = Assert<Same<InvitationStatus, NonNullable<InvitationListParams['status']>>>;
type ConnectionTypeMatchesSdk = Assert<Same<ConnectionType, NonNullable<SdkInvitation['connectionType']>>>;
type ConnectedAccountMatchesSdk = Assert<
  Same<Known<ConnectedAccount>, NonNullable<SdkInvitation['connectedAccount']>>
>;

// Create body: every field we send is one the SDK knows, with a value it accepts.
type CreateKeysMatchSdk = Assert<Same<keyof CreateInvitationRequest, keyof InvitationCreateParams>>;
type CreateToSdk = Assert<Extends<CreateInvitationRequest, InvitationCreateParams>>;

/**
 * The SDK has no type for webhook `data`; its `WebhookEvent` doc says `invitation.status_changed`
 * "data carries invitationId, clientName, clientEmail, connectionType (whatsapp_waba or
 * messenger), previousStatus, and currentStatus. On completed it also carries senderId and
 * connectedAccount (channel, id, name) […] On failed it carries failureReason". Built here
 * from the SDK's own field types.
 */
type SdkInvitationStatusChangedData = {
  invitationId: SdkInvitation['id'];
  clientName?: SdkInvitation['clientName'];
  clientEmail?: SdkInvitation['clientEmail'];
  connectionType: NonNullable<SdkInvitation['connectionType']>;
  previousStatus: SdkInvitation['status'];
  currentStatus: SdkInvitation['status'];
  senderId?: SdkInvitation['senderId'];
  connectedAccount?: SdkInvitation['connectedAccount'];
  failureReason?: SdkInvitation['failureReason'];
};
type OurStatusChanged = Omit<Known<InvitationStatusChanged>, 'connectedAccount'> & {
  connectedAccount?: Known<ConnectedAccount> | null;
};
type DataKeysMatchSdk = Assert<Same<keyof OurStatusChanged, keyof SdkInvitationStatusChangedData>>;
type DataToSdk = Assert<Extends<OurStatusChanged, SdkInvitationStatusChangedData>>;
type SdkToData = Assert<Extends<SdkInvitationStatusChangedData, OurStatusChanged>>;
type EventIsSdkEvent = Assert<Extends<typeof INVITATION_EVENT, WebhookEvent>>;
type SignatureVersionsMatchSdk = Assert<Same<ZavuSignatureVersion, SenderWebhook['signatureVersion']>>;

/** Every check above; a `false` among them fails to compile. */
type Checks = [
  InvitationMatchesSdk,
  InvitationToSdk,
  SdkToInvitation,
  StatusesMatchSdk,
  ListStatusMatchesSdk,
  ConnectionTypeMatchesSdk,
  ConnectedAccountMatchesSdk,
  CreateKeysMatchSdk,
  CreateToSdk,
  DataKeysMatchSdk,
  DataToSdk,
  SdkToData,
  EventIsSdkEvent,
  SignatureVersionsMatchSdk,
];

describe('Zavu schemas against @zavudev/sdk types', () => {
  it('is checked by the compiler (tsc --noEmit); the status list is the SDK list', () => {
    const checks: Checks = [
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ];
    expect(checks.every(Boolean)).toBe(true);
    const sdkStatuses: Record<SdkInvitation['status'], true> = {
      pending: true,
      in_progress: true,
      completed: true,
      expired: true,
      cancelled: true,
      failed: true,
    };
    expect([...INVITATION_STATUSES].sort()).toEqual(Object.keys(sdkStatuses).sort());
    expect(INVITATION_EVENT).toBe('invitation.status_changed');
  });
});

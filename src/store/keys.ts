/**
 * Tenant-first keys. A tenant is a Slack workspace (team id) or, for an org-wide install,
 * an Enterprise Grid org (enterprise id). Every workspace item's pk is `T#<tenant>`, so no
 * query can cross tenants.
 */
export type TenantId = string & { readonly __tenant: unique symbol };

const TENANT_ID = /^[TE][A-Z0-9]{2,20}$/;

export function tenantId(id: string): TenantId {
  if (!TENANT_ID.test(id)) throw new Error(`not a Slack team or enterprise id: ${JSON.stringify(id)}`);
  return id as TenantId;
}

export function tenantOf(ids: {
  teamId?: string | undefined;
  enterpriseId?: string | undefined;
  isEnterpriseInstall?: boolean | undefined;
}): TenantId {
  if (ids.isEnterpriseInstall && ids.enterpriseId) return tenantId(ids.enterpriseId);
  if (ids.teamId) return tenantId(ids.teamId);
  if (ids.enterpriseId) return tenantId(ids.enterpriseId);
  throw new Error('request carries neither a team nor an enterprise id');
}

export const pkOf = (tenant: TenantId) => `T#${tenant}`;

export const keys = {
  installation: (t: TenantId) => ({ pk: pkOf(t), sk: 'INSTALL' }),
  settings: (t: TenantId) => ({ pk: pkOf(t), sk: 'SETTINGS' }),
  credential: (t: TenantId, provider: string) => ({ pk: pkOf(t), sk: `CRED#${provider}` }),
  job: (t: TenantId, jobId: string) => ({ pk: pkOf(t), sk: `JOB#${jobId}` }),
  idempotency: (t: TenantId, key: string) => ({ pk: pkOf(t), sk: `IDEM#${key}` }),
  /** A person's latest job of a kind on a target (src/jobs/service.ts: `activeJobFor`). */
  activeTarget: (t: TenantId, key: string) => ({ pk: pkOf(t), sk: `TARGET#${key}` }),
  ref: (t: TenantId, provider: string, objectId: string) => ({
    pk: pkOf(t),
    sk: `REF#${provider}#${objectId}`,
  }),
  audit: (t: TenantId, at: string, id: string) => ({ pk: pkOf(t), sk: `AUDIT#${at}#${id}` }),
  /** The last number given to a short job reference with this prefix (`INV` → INV-12). */
  sequence: (t: TenantId, prefix: string) => ({ pk: pkOf(t), sk: `SEQ#${prefix}` }),
  /** A short job reference (INV-12) to its job. */
  jobRef: (t: TenantId, ref: string) => ({ pk: pkOf(t), sk: `JOBREF#${ref}` }),
  /** A client of the workspace, by its matching key (src/clients/names.ts). */
  client: (t: TenantId, key: string) => ({ pk: pkOf(t), sk: `CLIENT#${key}` }),
  /** One piece of a client's work (a job, an opt-in), newest last under the client's prefix. */
  clientWork: (t: TenantId, key: string, at: number, type: string, id: string) => ({
    pk: pkOf(t),
    sk: `${clientWorkPrefix(key)}${String(at).padStart(14, '0')}#${type}#${id}`,
  }),
  /** A provider's request schedule for the tenant (see src/http/rate-limit.ts). */
  rate: (t: TenantId, bucket: string) => ({ pk: pkOf(t), sk: `RATE#${bucket}` }),
  /** Jobs started in one window, per person and in total (src/jobs/admission.ts). */
  starts: (t: TenantId, window: string) => ({ pk: pkOf(t), sk: `STARTS#${window}` }),
  /** Webhook ids are unguessable and map a provider's callback to its tenant. */
  webhook: (hookId: string) => ({ pk: `HOOK#${hookId}`, sk: 'HOOK' }),
};

/** Where a client's work items are, under the tenant's partition. */
export const clientWorkPrefix = (key: string) => `WORK#${key}#`;

export function tenantFromPk(pk: string): TenantId {
  if (!pk.startsWith('T#')) throw new Error(`not a tenant key: ${pk}`);
  return tenantId(pk.slice(2));
}

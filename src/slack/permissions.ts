import type { WebClient } from '@slack/web-api';

const TTL_MS = 60_000;
const cache = new Map<string, { admin: boolean; until: number }>();

/**
 * Workspace admins and owners, from users.info, cached briefly so a burst of commands costs
 * one call. An admin allowlist per workspace can widen this (see settings).
 */
export async function isWorkspaceAdmin(client: WebClient, tenant: string, userId: string, now = Date.now()) {
  const key = `${tenant}:${userId}`;
  const hit = cache.get(key);
  if (hit && hit.until > now) return hit.admin;
  const res = await client.users.info({ user: userId });
  const admin = Boolean(res.user?.is_admin || res.user?.is_owner || res.user?.is_primary_owner);
  cache.set(key, { admin, until: now + TTL_MS });
  return admin;
}

export function clearAdminCache(): void {
  cache.clear();
}

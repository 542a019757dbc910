import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { TenantId } from '../store/keys.js';

export type ActionArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs & { tenant: TenantId };
export type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs & { tenant: TenantId };

/**
 * Buttons and modals are routed by the prefix of their action_id / callback_id
 * (`<feature>:<verb>`), loading the feature's handler only when one is used.
 */
export const actionRoutes: Array<{
  prefix: string;
  load: () => Promise<(args: ActionArgs) => Promise<void>>;
}> = [
  { prefix: 'jobs:cancel', load: async () => (await import('../jobs/commands.js')).cancelJobAction },
  { prefix: 'connect:', load: async () => (await import('./connect-interactions.js')).connectAction },
  { prefix: 'invite:', load: async () => (await import('../invites/actions.js')).handleInviteAction },
  { prefix: 'deploy:', load: async () => (await import('../deployments/interactions.js')).deployAction },
  { prefix: 'form:', load: async () => (await import('./form-interactions.js')).formAction },
];

export const viewRoutes: Array<{ prefix: string; load: () => Promise<(args: ViewArgs) => Promise<void>> }> = [
  { prefix: 'connect:', load: async () => (await import('./connect-interactions.js')).connectView },
  { prefix: 'deploy:', load: async () => (await import('../deployments/interactions.js')).deployView },
  { prefix: 'form:', load: async () => (await import('./form-interactions.js')).formSubmit },
  { prefix: 'invite:sign-modal', load: async () => (await import('../invites/shortcut.js')).signModalSubmit },
];

/** Shortcuts (global and message), routed by callback_id like the others. */
export const shortcutRoutes: Array<{
  callbackId: string;
  load: () => Promise<(args: never) => Promise<void>>;
}> = [
  {
    callbackId: 'invite:sign-shortcut',
    load: async () => (await import('../invites/shortcut.js')).signShortcut,
  },
];

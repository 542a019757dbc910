import type { ExtensionContext } from '../context.js';
import { faultRateFromEnv, type ProviderSandbox, type SandboxContext } from './framework.js';

export type { ProviderSandbox, SandboxContext } from './framework.js';

type Factory = (ctx: SandboxContext) => Promise<ProviderSandbox>;

/** Each provider adds its factory here. */
const factories: Factory[] = [
  async (ctx) => (await import('./cm-channels.js')).startCmChannelsSandbox(ctx),
  async (ctx) => (await import('./commbox.js')).startCommboxSandbox(ctx),
  async (ctx) => (await import('./cm-sign.js')).startCmSignSandbox(ctx),
  async (ctx) => (await import('./zavu.js')).startZavuSandbox(ctx),
  async (ctx) => (await import('./vonage.js')).startVonageSandbox(ctx),
  async (ctx) => (await import('./meta-cloud.js')).startMetaCloudSandbox(ctx),
];

/**
 * Starts every sandbox and returns the configuration that points the app at them (unless a real
 * provider URL was configured as `<VAR>_REAL`); the local stack injects it, `process.env` is untouched.
 */
export async function startProviderSandboxes(ctx: ExtensionContext) {
  const { definedEnv } = await import('../../config.js');
  const sandboxCtx: SandboxContext = { ...ctx, faultRate: faultRateFromEnv() };
  const sandboxes: ProviderSandbox[] = [];
  const env: Record<string, string> = { SANDBOX_CREDENTIALS: 'true' };
  for (const factory of factories) {
    const sandbox = await factory(sandboxCtx);
    sandboxes.push(sandbox);
    if (!definedEnv()[`${sandbox.envVar}_REAL`])
      env[sandbox.envVar] = `${sandbox.running.url}${sandbox.basePath}`;
  }
  return {
    sandboxes,
    env,
    async tick() {
      for (const s of sandboxes) await s.tick();
    },
    state() {
      return Object.fromEntries(
        sandboxes.map((s) => [s.name, { ...(s.state() as object), stats: s.running.stats }]),
      );
    },
    async close() {
      await Promise.all(sandboxes.map((s) => s.running.close()));
    },
  };
}

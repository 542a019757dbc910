import type { ExtensionContext } from '../extensions.js';
import { faultRateFromEnv, type RunningSandbox } from './framework.js';

/**
 * A provider sandbox: a real HTTP server following the provider's documented state machine.
 * `tick` advances time-driven transitions (and sends the webhooks the provider would send).
 */
export interface ProviderSandbox {
  name: string;
  /** Environment variable that points the app at this sandbox, e.g. ZAVU_BASE_URL. */
  envVar: string;
  /** Path under the server's root that is the API's base (e.g. `/v1` is in the paths, so ''). */
  basePath: string;
  running: RunningSandbox;
  tick(): Promise<void>;
  state(): unknown;
}

export interface SandboxContext extends ExtensionContext {
  faultRate: number;
}

type Factory = (ctx: SandboxContext) => Promise<ProviderSandbox>;

/** Each provider adds its factory here. */
const factories: Factory[] = [
  async (ctx) => (await import('./cm-channels.js')).startCmChannelsSandbox(ctx),
  async (ctx) => (await import('./commbox.js')).startCommboxSandbox(ctx),
  async (ctx) => (await import('./cm-sign.js')).startCmSignSandbox(ctx),
  async (ctx) => (await import('./zavu.js')).startZavuSandbox(ctx),
  async (ctx) => (await import('./vonage.js')).startVonageSandbox(ctx),
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

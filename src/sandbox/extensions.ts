import { InProcessQueue, setJobQueue } from '../jobs/queue.js';
import type { FakeSlack } from './fake-slack.js';
import type { Route } from './server.js';

export interface ExtensionContext {
  url: string;
  dataDir?: string | undefined;
  slack: FakeSlack;
  routes: Route[];
}

/**
 * What the local stack adds beyond Slack: the job engine's in-process queue and the sweep
 * behind /_sandbox/scheduler/tick, provider sandboxes, and webhook routes.
 */
export async function start(ctx: ExtensionContext) {
  const queue = new InProcessQueue(4);
  const { runMessage } = await import('../jobs/runner.js');
  queue.consumer = async (message) => {
    await runMessage(message);
  };
  setJobQueue(queue);

  const { startProviderSandboxes } = await import('./providers/index.js');
  const providers = await startProviderSandboxes(ctx);

  return {
    async tick() {
      await providers.tick();
      const { sweep } = await import('../jobs/sweep.js');
      const result = await sweep();
      await queue.drain();
      return { ...result, queued: queue.size };
    },
    state: async () => providers.state(),
    close: async () => {
      await queue.drain();
      await providers.close();
    },
    drain: () => queue.drain(),
  };
}

import type { FakeSlack } from './fake-slack.js';
import type { Route } from './server.js';

export interface ExtensionContext {
  url: string;
  dataDir?: string | undefined;
  slack: FakeSlack;
  routes: Route[];
}

/**
 * What the local stack adds beyond Slack: provider sandboxes, webhook routes, and the job
 * engine's sweep behind /_sandbox/scheduler/tick.
 */
export async function start(_ctx: ExtensionContext) {
  return {
    tick: async () => ({ swept: 0 }),
    state: async () => ({}),
    close: async () => {},
  };
}

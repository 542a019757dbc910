import { addJobKinds } from '../../src/app/engine.js';
import { type JobKind, kindId } from '../../src/jobs/kinds.js';

export { kindId };

/** A job kind of a test's own, beside the app's (the engine is wired by src/app/engine.ts). */
export function registerJobKind(id: string, load: () => Promise<JobKind<never, never>>): void {
  addJobKinds({ id: kindId(id), load });
}

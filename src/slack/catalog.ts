import type { Job } from '../jobs/model.js';
import type { CommandSpec } from './command.js';
import type { FormSpec } from './forms.js';
import type { WorkProgress } from './manifest.js';

/**
 * What the Slack kit and the features may ask of the whole app at run time, without importing
 * it: src/app builds the catalog from every feature's manifest and provides it when it loads.
 */
export interface Catalog {
  /** Every command, in the order help lists them. */
  commands: readonly CommandSpec[];
  /** The commands by capability, as help shows them. */
  groups: ReadonlyArray<{ title: string; commands: readonly CommandSpec[] }>;
  formOf(spec: Pick<CommandSpec, 'path'>): FormSpec | undefined;
  /** The command whose rule applies to buttons on a job of this kind. */
  ruleOfKind(kind: string): CommandSpec | undefined;
  /** What a person calls a job, and where it stands (for a client's view of its work). */
  workOf(job: Job): { label: string; progress: WorkProgress };
  /** A helper job of the app's own (KindEntry.internal), not shown on App Home. */
  isInternalJob(job: { kind: string; payload: unknown }): boolean;
}

let provided: Catalog | undefined;

export function provideCatalog(catalog: Catalog): void {
  provided = catalog;
}

export function catalog(): Catalog {
  if (!provided) throw new Error('no catalog: src/app/catalog.ts provides it when the app loads');
  return provided;
}

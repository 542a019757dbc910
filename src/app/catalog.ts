import { clientsManifest } from '../clients/manifest.js';
import { contactsManifest } from '../contacts/manifest.js';
import { deploymentsManifest } from '../deployments/manifest.js';
import { invitesManifest } from '../invites/manifest.js';
import type { Job } from '../jobs/model.js';
import { type Catalog, provideCatalog } from '../slack/catalog.js';
import type { CommandSpec } from '../slack/command.js';
import type { FormSpec } from '../slack/forms.js';
import type { ActionArgs, ViewArgs } from '../slack/interactions.js';
import type { FeatureManifest, KindEntry, Route, WorkProgress } from '../slack/manifest.js';
import { templatesManifest } from '../templates/manifest.js';
import { workspaceManifest } from '../workspace/manifest.js';
import { helpCommand } from './help.js';

export { helpCommand };

/**
 * The composition root's one list of features. Everything else that needs "every command",
 * "every form", "every kind" derives it from here: add a feature's manifest to this list and
 * its commands, forms, buttons, modals, shortcuts, launcher entries and job kinds are wired.
 */
export const FEATURES: readonly FeatureManifest[] = [
  clientsManifest,
  invitesManifest,
  templatesManifest,
  contactsManifest,
  deploymentsManifest,
  workspaceManifest,
];

/** The whole `/wa` surface, in the order `/wa help` lists it. */
export const commands: CommandSpec[] = [helpCommand, ...FEATURES.flatMap((f) => f.commands)] as CommandSpec[];

export const forms: FormSpec[] = FEATURES.flatMap((f) => f.forms ?? []);

export function formOf(spec: Pick<CommandSpec, 'path'>): FormSpec | undefined {
  return forms.find((f) => f.command.path === spec.path);
}

/** Longest prefix first, so a route of `invite:sign-modal` wins over one of `invite:`. */
const byPrefix = <A>(routes: Array<Route<A>>) => routes.sort((a, b) => b.prefix.length - a.prefix.length);

/** The features' own; the form door (`form:`) is added by src/app/bolt.ts. */
export const actionRoutes: Array<Route<ActionArgs>> = byPrefix(FEATURES.flatMap((f) => f.actions ?? []));

export const viewRoutes: Array<Route<ViewArgs>> = byPrefix(FEATURES.flatMap((f) => f.views ?? []));

export const shortcutRoutes = FEATURES.flatMap((f) => f.shortcuts ?? []);

export const kindEntries: KindEntry[] = FEATURES.flatMap((f) => f.kinds ?? []);

/** App Home's sections from the features (below the actions and above the jobs). */
export const homeSections = FEATURES.flatMap((f) => (f.home ? [f.home] : []));

export const launcherGroups = FEATURES.flatMap((f) => (f.launcher ? [f.launcher].flat() : []));

const rules = new Map(kindEntries.flatMap((k) => (k.rule ? [[k.id.id, k.rule] as const] : [])));
const kindsById = new Map(kindEntries.map((k) => [k.id.id, k]));

/** Where a job stands when its kind says nothing more: by the engine's state alone. */
function byState(job: Job): WorkProgress {
  if (job.state === 'succeeded') return { outcome: 'done' };
  if (job.state === 'failed') return { outcome: 'failed', next: 'us' };
  if (job.state === 'cancelled') return { outcome: 'cancelled' };
  return { waitingFor: 'the provider', next: 'provider' };
}

const internal = new Map(kindEntries.flatMap((k) => (k.internal ? [[k.id.id, k.internal] as const] : [])));

export const catalog: Catalog = {
  commands,
  groups: [
    { title: 'Start here', commands: [helpCommand] },
    ...FEATURES.map((f) => ({ title: f.title, commands: f.commands })),
  ],
  formOf,
  ruleOfKind: (kind) => rules.get(kind),
  workOf(job) {
    const entry = kindsById.get(job.kind);
    // A job that failed or was cancelled says so whatever its kind's own state was.
    const ended = job.state === 'failed' || job.state === 'cancelled';
    const progress = (!ended && entry?.progress?.(job)) || byState(job);
    return { label: entry?.label ?? job.kind, progress };
  },
  isInternalJob: (job) => internal.get(job.kind)?.(job.payload) ?? false,
};
provideCatalog(catalog);

/** The command whose path is the longest prefix of the tokens, and the tokens after it. */
export function findCommand(tokens: string[]): { spec: CommandSpec; rest: string[] } | undefined {
  let best: { spec: CommandSpec; rest: string[] } | undefined;
  for (const spec of commands) {
    const words = spec.path.split(' ');
    const matches = words.every((w, i) => tokens[i]?.toLowerCase() === w);
    if (matches && (!best || words.length > best.spec.path.split(' ').length)) {
      best = { spec, rest: tokens.slice(words.length) };
    }
  }
  return best;
}

/** Commands under a group word like `invite`, for "needs a subcommand" answers. */
export function commandsUnder(group: string): CommandSpec[] {
  return commands.filter((c) => c.path.startsWith(`${group.toLowerCase()} `));
}

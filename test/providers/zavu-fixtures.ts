import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Zavu's documented example payloads (test/fixtures/providers/zavu/*.json): each file is
 * `{_source: [URL…], _note, body}`. The client's parsing tests and the sandbox's contract tests
 * both read them, so neither can drift to a shape Zavu does not send.
 */
const DIR = join(import.meta.dirname, '..', 'fixtures', 'providers', 'zavu');

export interface Fixture<T = unknown> {
  _source: string[];
  _note: string;
  body: T;
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures are read loosely; the tests parse them
export function zavuFixture<T = any>(name: string): Fixture<T> {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Fixture<T>;
}

export const zavuFixtureNames = () =>
  readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));

/** The status-changed fixtures by the status they announce. */
export const STATUS_FIXTURES = {
  in_progress: 'invitation-status-changed-in-progress',
  failed: 'invitation-status-changed-failed',
  completed: 'invitation-status-changed-completed-whatsapp',
  completedMessenger: 'invitation-status-changed-completed-messenger',
} as const;

export const keysOf = (o: unknown) => Object.keys(o as object).sort();

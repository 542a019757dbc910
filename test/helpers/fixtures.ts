import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMetaJson } from '../../src/templates/meta.js';

/**
 * Recorded reference examples under test/fixtures/providers/<provider>/: each file is
 * `{source, note, status?, body}` with the URL of the document the example comes from. Client
 * parsing tests and sandbox contract tests read the same files. Files are parsed keeping Meta's
 * 64-bit template ids as digit strings (a plain JSON.parse would round them).
 */
export interface Fixture {
  name: string;
  source: string;
  note?: string;
  status?: number;
  body: unknown;
}

const ROOT = join(import.meta.dirname, '..', 'fixtures', 'providers');

export function fixture(provider: string, name: string): Fixture {
  const text = readFileSync(join(ROOT, provider, `${name}.json`), 'utf8');
  return { name, ...(parseMetaJson(text) as Omit<Fixture, 'name'>) };
}

export function fixtures(provider: string): Fixture[] {
  return readdirSync(join(ROOT, provider))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => fixture(provider, f.replace(/\.json$/, '')));
}

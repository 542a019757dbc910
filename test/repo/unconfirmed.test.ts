import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue 27: one list of every unconfirmed provider fact, kept beside the code. A fact the code
 * relies on without a document to confirm it carries a marker comment `UNCONFIRMED(<id>)` where
 * the assumption is made; docs/unconfirmed.md has one row per id (what we assume, the closest
 * source, what the app does if wrong). Neither may drift from the other.
 */
const ROOT = join(import.meta.dirname, '../..');
const LIST = join(ROOT, 'docs/unconfirmed.md');
const MARKER = /UNCONFIRMED\(([^)]*)\)/g;
const ID = /^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$/;
// The word the issue counts, unless it is the marker itself or the list's own path.
const WORD = /unconfirmed/gi;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|mts|cts|js|mjs|cjs|json)$/.test(e.name) ? [p] : [];
  });
}

interface Marker {
  id: string;
  at: string;
}

function markersIn(files: string[]): { markers: Marker[]; bare: string[] } {
  const markers: Marker[] = [];
  const bare: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const at = `${relative(ROOT, file)}:${i + 1}`;
        const ids = [...line.matchAll(MARKER)].map((m) => m[1] ?? '');
        for (const id of ids) markers.push({ id, at });
        const words = (line.replaceAll('docs/unconfirmed.md', '').match(WORD) ?? []).length;
        if (words > ids.length) bare.push(`${at}: ${line.trim()}`);
      });
  }
  return { markers, bare };
}

interface Row {
  id: string;
  cells: string[];
}

/** The list's rows: table lines whose first cell is a backquoted id. */
function rowsOf(markdown: string): Row[] {
  return markdown
    .split('\n')
    .filter((l) => /^\|\s*`[^`]+`\s*\|/.test(l))
    .map((l) => {
      const cells = l
        .slice(1, l.trimEnd().endsWith('|') ? l.trimEnd().length - 1 : undefined)
        .split('|')
        .map((c) => c.trim());
      return { id: (cells[0] ?? '').replaceAll('`', ''), cells };
    });
}

const { markers, bare } = markersIn(sources(join(ROOT, 'src')));
const rows = rowsOf(readFileSync(LIST, 'utf8'));
const listed = new Set(rows.map((r) => r.id));
const marked = new Set(markers.map((m) => m.id));

describe('the unconfirmed list matches the code', () => {
  it('has markers to check (the scan found the source)', () => {
    expect(markers.length).toBeGreaterThan(10);
    expect(rows.length).toBeGreaterThan(10);
  });

  it('every marker in src/ names an id of the form <provider>.<fact>', () => {
    expect(markers.filter((m) => !ID.test(m.id)).map((m) => `${m.at}: UNCONFIRMED(${m.id})`)).toEqual([]);
  });

  it('every id marked in src/ has a row in docs/unconfirmed.md', () => {
    expect(markers.filter((m) => !listed.has(m.id)).map((m) => `${m.at}: ${m.id}`)).toEqual([]);
  });

  it('every row in docs/unconfirmed.md is still marked somewhere in src/', () => {
    expect([...listed].filter((id) => !marked.has(id))).toEqual([]);
  });

  it('the word "unconfirmed" in src/ always comes with a marker on the same line', () => {
    expect(bare).toEqual([]);
  });

  it('each row is listed once and says what we assume, the source, and what happens if wrong', () => {
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const r of rows) {
      if (seen.has(r.id)) problems.push(`${r.id}: listed twice`);
      seen.add(r.id);
      if (r.cells.length !== 5) problems.push(`${r.id}: ${r.cells.length} cells, not 5`);
      const [, assume, source, ifWrong] = r.cells;
      if (!assume || !source || !ifWrong) problems.push(`${r.id}: an empty column`);
    }
    expect(problems).toEqual([]);
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = (m[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe('the first live check and the list point at each other', () => {
  const guide = readFileSync(join(ROOT, 'docs/providers.md'), 'utf8');

  it('every live-check link in the list leads to a heading of docs/providers.md', () => {
    const anchors = anchorsOf(guide);
    const links = [...readFileSync(LIST, 'utf8').matchAll(/providers\.md#([\w-]+)/g)].map((m) => m[1] ?? '');
    expect(links.filter((a) => !anchors.has(a))).toEqual([]);
  });

  it('every fact the live check names is in the list', () => {
    const named = [...guide.matchAll(/`([a-z][a-z0-9-]*\.[a-z0-9][a-z0-9-]*)`/g)]
      .map((m) => m[1] ?? '')
      .filter((id) => /^(cm-sign|zavu|cm-channels|commbox|vonage|meta|slack)\./.test(id));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((id) => !listed.has(id))).toEqual([]);
  });
});

describe('the check itself', () => {
  it('finds a marker, a bare word and a missing row', () => {
    // Given a scan result built from lines a future edit could write
    const lines = [
      '// UNCONFIRMED(cm-sign.callback-body): the body',
      ' * CM documents no such field; unconfirmed.',
      '// UNCONFIRMED(zavu.not-in-the-list): new',
    ];
    const ids = lines.flatMap((l) => [...l.matchAll(MARKER)].map((m) => m[1] ?? ''));
    const bareLines = lines.filter((l) => (l.match(WORD) ?? []).length > [...l.matchAll(MARKER)].length);
    // Then the marker is read, the bare word is caught and the unlisted id is found
    expect(ids).toEqual(['cm-sign.callback-body', 'zavu.not-in-the-list']);
    expect(bareLines).toEqual([' * CM documents no such field; unconfirmed.']);
    expect(ids.filter((id) => !listed.has(id))).toEqual(['zavu.not-in-the-list']);
  });
});

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README is the front door (issue 27): short enough to read in one sitting, and every link in
 * it, and in the pages it leads to, resolves (a file that exists, a heading that exists).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchorsIn(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  // A repeated heading gets -1, -2… as GitHub numbers them.
  const seen = new Map<string, number>();
  return new Set(
    [...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => {
      const base = anchorOf(m[1] ?? '');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      return n === 0 ? base : `${base}-${n}`;
    }),
  );
}

function linksIn(page: string): Array<{ target: string; anchor?: string }> {
  const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((href) => !/^[a-z]+:/i.test(href))
    .map((href) => {
      const [path, anchor] = href.split('#');
      return {
        target: path ? join(dirname(join(ROOT, page)), path) : join(ROOT, page),
        ...(anchor ? { anchor } : {}),
      };
    });
}

describe('the README is a front door', () => {
  it('is under 20 KB', () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThan(20 * 1024);
  });

  it.each(pages)('every relative link in %s resolves to a file and, with an anchor, to a heading', (page) => {
    const broken: string[] = [];
    for (const link of linksIn(page)) {
      if (!existsSync(link.target)) broken.push(link.target.replace(`${ROOT}/`, ''));
      else if (link.anchor && link.target.endsWith('.md') && !anchorsIn(link.target).has(link.anchor))
        broken.push(`${link.target.replace(`${ROOT}/`, '')}#${link.anchor}`);
    }
    expect(broken).toEqual([]);
  });
});

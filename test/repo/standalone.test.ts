import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A fresh clone must pass `npm test` with nothing beside it (issue 15): no test, script or
 * source file may point at the sibling `shared` folder or climb out of the repository through `../../../`.
 * The Vonage OpenAPI description a test needs is vendored in `spec/vonage/`.
 */
const ROOT = join(import.meta.dirname, '../..');
const DIRS = ['src', 'test', 'scripts', 'bench', 'functions'];
// A path string that leaves the repository: into the sibling `shared` folder, or three `..` from a file two folders deep.
// Built from parts so this file names no such path itself.
const UP = '..';
const SIBLING = `${UP}/${'shared'}`;
const OUTSIDE = new RegExp(`['"\`][^'"\`]*(\\.\\.\\/${'shared'}\\b|(\\.\\.\\/){3,})[^'"\`]*['"\`]`);

function files(dir: string): string[] {
  let out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out = out.concat(files(p));
    else if (/\.(ts|js|mjs|cjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

describe('the repository stands alone', () => {
  it('no file reads outside the repository', () => {
    const offenders = DIRS.flatMap((d) => files(join(ROOT, d)))
      .filter((f) => !f.endsWith('standalone.test.ts'))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(ROOT, f)}:${i + 1}` }))
          .filter(({ line }) => OUTSIDE.test(line))
          .map(({ at, line }) => `${at}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it('the detector catches a path into the sibling shared folder', () => {
    expect(OUTSIDE.test(`join(import.meta.dirname, '${UP}/${UP}/${SIBLING}/specs/x.yml')`)).toBe(true);
    expect(OUTSIDE.test(`readFileSync('${SIBLING}/DESIGN.md')`)).toBe(true);
    expect(OUTSIDE.test(`join(import.meta.dirname, '../../spec/vonage/whatsapp-provisioning.yml')`)).toBe(
      false,
    );
  });

  it('the vendored Vonage description carries its MIT licence note', () => {
    expect(readFileSync(join(ROOT, 'spec/vonage/LICENSE'), 'utf8')).toMatch(
      /MIT License[\s\S]*Copyright \(c\) 2020 Vonage/,
    );
    expect(readFileSync(join(ROOT, 'spec/vonage/whatsapp-provisioning.yml'), 'utf8')).toMatch(
      /version: 0\.1\.4/,
    );
  });
});

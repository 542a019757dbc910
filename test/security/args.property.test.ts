import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, MAX_COMMAND_LENGTH, parseFlags, tokenize } from '../../src/slack/args.js';

/** Any text a person (or an attacker) could type, up to a bit over the limit. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({
    unit: fc.constantFrom('"', "'", ' ', '\\', '-', '=', 'a', '\u201c', '\u201d', '\n', '\t'),
    maxLength: 400,
  }),
  fc.string({ unit: 'grapheme', minLength: MAX_COMMAND_LENGTH - 5, maxLength: MAX_COMMAND_LENGTH + 5 }),
);

/** Characters that survive quoting unchanged: no quotes of any kind, no control characters. */
const quotable = fc.string({ unit: 'binary', minLength: 0, maxLength: 30 }).map((s) =>
  s.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
    /["'\u201c\u201d\u201e\u00ab\u00bb\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g,
    '',
  ),
);

const flagSpec = fc.dictionary(
  fc.constantFrom('email', 'days', 'all', 'param', 'source'),
  fc.constantFrom('value' as const, 'boolean' as const, 'multi' as const),
);

function onlyArgumentErrors(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ArgumentError);
  }
}

describe('tokenize / parseFlags under hostile input', () => {
  it('property: tokenize throws nothing but ArgumentError, quickly', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const started = performance.now();
        onlyArgumentErrors(() => tokenize(text));
        expect(performance.now() - started).toBeLessThan(250);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses text over the limit and control characters with ArgumentError', () => {
    expect(() => tokenize('a'.repeat(MAX_COMMAND_LENGTH + 1))).toThrow(ArgumentError);
    expect(() => tokenize('invite sign \u0000 x')).toThrow(ArgumentError);
    expect(() => tokenize('invite "open')).toThrow(/double quote is not closed/);
  });

  it('does not hang on pathological quote patterns at the length limit', () => {
    const started = performance.now();
    for (const text of [
      '"a'.repeat(1000),
      `${'"'.repeat(1999)}`,
      `${'\'"'.repeat(1000)}`,
      `a${'"b"'.repeat(666)}`,
      `--x=${'"y" '.repeat(499)}`,
    ]) {
      onlyArgumentErrors(() => parseFlags(tokenize(text.slice(0, MAX_COMMAND_LENGTH)), { x: 'multi' }));
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('property: quoted arguments round-trip, whatever they contain', () => {
    fc.assert(
      fc.property(fc.array(quotable, { minLength: 1, maxLength: 12 }), fc.boolean(), (args, single) => {
        const q = single ? "'" : '"';
        const text = args.map((a) => `${q}${a}${q}`).join(' ');
        fc.pre(text.length <= MAX_COMMAND_LENGTH);
        expect(tokenize(text)).toEqual(args);
      }),
      { numRuns: 400 },
    );
  });

  it('property: typographic quotes from Slack clients work like straight ones', () => {
    fc.assert(
      fc.property(fc.array(quotable, { minLength: 1, maxLength: 6 }), (args) => {
        expect(tokenize(args.map((a) => `\u201c${a}\u201d`).join(' '))).toEqual(args);
      }),
      { numRuns: 200 },
    );
  });

  it('property: parseFlags throws nothing but ArgumentError for any tokens and spec', () => {
    const token = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        '--',
        '--email',
        '--email=',
        '--all',
        '--all=1',
        '--days',
        '--param',
        '--param=a=b',
        '--nope',
      ),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 20 }), flagSpec, (tokens, spec) => {
        onlyArgumentErrors(() => {
          const parsed = parseFlags(tokens, spec);
          // Every flag it returns was declared.
          for (const name of Object.keys(parsed.flags)) expect(Object.hasOwn(spec, name)).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('property: a value flag carries its quoted value through tokenize and parseFlags', () => {
    fc.assert(
      fc.property(quotable, (value) => {
        fc.pre(!value.startsWith('--'));
        const parsed = parseFlags(tokenize(`"Acme Ltd" --source "${value}"`), { source: 'value' });
        expect(parsed).toEqual({ positionals: ['Acme Ltd'], flags: { source: value } });
      }),
      { numRuns: 300 },
    );
  });

  it('prototype keys are not flags', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(() => parseFlags([`--${name}`, 'x'], { email: 'value' })).toThrow(ArgumentError);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { ArgumentError, MAX_COMMAND_LENGTH, parseFlags, tokenize } from '../../src/slack/args.js';

describe('tokenize', () => {
  it('splits on whitespace and keeps quoted arguments whole', () => {
    expect(tokenize('invite sign "Ada Lovelace" ada@example.com +31612345678')).toEqual([
      'invite',
      'sign',
      'Ada Lovelace',
      'ada@example.com',
      '+31612345678',
    ]);
  });

  it('accepts the typographic quotes Slack clients substitute', () => {
    expect(tokenize('invite partner \u201cAcme Corp\u201d')).toEqual(['invite', 'partner', 'Acme Corp']);
  });

  it('keeps an apostrophe inside double quotes', () => {
    expect(tokenize('invite partner "O\'Brien & Sons"')).toEqual(['invite', 'partner', "O'Brien & Sons"]);
  });

  it('refuses an unclosed quote, naming it', () => {
    expect(() => tokenize('invite partner "Acme')).toThrow(/double quote is not closed/);
  });

  it('refuses control characters', () => {
    expect(() => tokenize('help\u0000')).toThrow(ArgumentError);
  });

  it('refuses text over the length limit', () => {
    expect(() => tokenize('x'.repeat(MAX_COMMAND_LENGTH + 1))).toThrow(/limit is/);
  });
});

describe('parseFlags', () => {
  const spec = { email: 'value', all: 'boolean', param: 'multi' } as const;

  it('separates positionals from declared flags, in both --flag value and --flag=value forms', () => {
    expect(parseFlags(['Acme', '--email', 'a@b.co', '--all', '--param=x', '--param', 'y'], spec)).toEqual({
      positionals: ['Acme'],
      flags: { email: 'a@b.co', all: true, param: ['x', 'y'] },
    });
  });

  it('names an unknown option', () => {
    expect(() => parseFlags(['--frob'], spec)).toThrow('unknown option --frob');
  });

  it('names a value flag without its value', () => {
    expect(() => parseFlags(['--email'], spec)).toThrow('--email needs a value');
    expect(() => parseFlags(['--email', '--all'], spec)).toThrow('--email needs a value');
  });

  it('refuses a single-value flag given twice and a value on a boolean flag', () => {
    expect(() => parseFlags(['--email', 'a@b.co', '--email', 'c@d.co'], spec)).toThrow('given twice');
    expect(() => parseFlags(['--all=yes'], spec)).toThrow('takes no value');
  });
});

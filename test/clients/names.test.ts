import { describe, expect, it } from 'vitest';
import { clientKey, editDistance, nearMisses } from '../../src/clients/names.js';

const known = (...names: string[]) => names.map((name) => ({ name, key: clientKey(name) }));

describe('client names are matched without regard to case, spacing, accents or punctuation', () => {
  it.each([
    ['Acme Foods', 'ACME FOODS'],
    ['Acme Foods', '  acme    foods '],
    ['Acme Foods', 'Acmé Fóods'],
    ['Acme Foods', 'acme-foods'],
    ['Crème Brûlée B.V.', 'creme brulee bv'],
  ])('given %j, when %j is typed, then both have one key', (a, b) => {
    expect(clientKey(b)).toBe(clientKey(a));
  });

  it('given two different names, when keyed, then the keys differ (letters and digits of any script count)', () => {
    expect(clientKey('Acme Foods')).not.toBe(clientKey('Acme Feeds'));
    expect(clientKey('東京 Foods')).toBe('東京 foods');
    expect(clientKey('Acme 2')).not.toBe(clientKey('Acme 3'));
    expect(clientKey('!!!')).toBe('');
  });
});

describe('a near miss is offered, never taken', () => {
  const clients = known('Acme Foods', 'Bravo Logistics', 'Delta');

  it('given a typo or a missing letter, then the known client is the near miss', () => {
    expect(nearMisses(clientKey('Acme Food'), clients).map((c) => c.name)).toEqual(['Acme Foods']);
    expect(nearMisses(clientKey('Acme Fodos'), clients).map((c) => c.name)).toEqual(['Acme Foods']);
    expect(nearMisses(clientKey('Bravo Logistic'), clients).map((c) => c.name)).toEqual(['Bravo Logistics']);
  });

  it('given one word more or fewer than a known name, then that name is offered', () => {
    expect(nearMisses(clientKey('Acme'), clients).map((c) => c.name)).toEqual(['Acme Foods']);
    expect(nearMisses(clientKey('Acme Foods Europe'), clients).map((c) => c.name)).toEqual(['Acme Foods']);
  });

  it('given the exact client (in any case), then it is not a near miss of itself', () => {
    expect(nearMisses(clientKey('ACME FOODS'), clients)).toEqual([]);
  });

  it('given a name that differs only in its number, then it is another client, not a typo', () => {
    expect(nearMisses(clientKey('Store 2'), known('Store 1', 'Store 12'))).toEqual([]);
  });

  it('given a name far from every client, then nothing is offered', () => {
    expect(nearMisses(clientKey('Zeta Partners'), clients)).toEqual([]);
    // Short names allow one edit only: "Delta" does not swallow "Beta".
    expect(nearMisses(clientKey('Beta'), clients)).toEqual([]);
  });

  it('given two clients with similar names, then a typo between them offers both, closest first', () => {
    const similar = known('Acme Foods', 'Acme Feeds');
    expect(nearMisses(clientKey('Acme Fods'), similar).map((c) => c.name)).toEqual([
      'Acme Foods',
      'Acme Feeds',
    ]);
    // Each exact name is its own client, not the other's near miss.
    expect(nearMisses(clientKey('acme feeds'), similar).map((c) => c.name)).toEqual(['Acme Foods']);
  });

  it('counts edits as typing does (a swap of two neighbours is one)', () => {
    expect(editDistance('acme', 'amce', 3)).toBe(1);
    expect(editDistance('acme foods', 'acme food', 3)).toBe(1);
    expect(editDistance('abc', 'xyz', 1)).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { ArgumentError, tokenize } from '../../src/slack/args.js';
import { decodeEntities, esc, fromSlack, mention, unsafeCharacter } from '../../src/slack/mrkdwn.js';

/** Forms from https://api.slack.com/interactivity/slash-commands (should_escape) and .../formatting. */
describe('fromSlack: command text as Slack sends it becomes what the person typed', () => {
  it('decodes the three entities, once', () => {
    expect(fromSlack('O&#39;Brien &amp; Sons &lt;b&gt;')).toBe('O&#39;Brien & Sons <b>');
    expect(fromSlack('&amp;lt;')).toBe('&lt;');
    expect(decodeEntities('a &amp;amp; b')).toBe('a &amp; b');
  });

  it('keeps user mentions as ids, with or without a label', () => {
    expect(fromSlack('admins add <@U0MEMBER|max.member>')).toBe('admins add <@U0MEMBER>');
    expect(fromSlack('<@W012ABCDEF>')).toBe('<@W012ABCDEF>');
  });

  it('turns channels, special mentions, user groups and dates into plain words', () => {
    expect(fromSlack('<#C123|general> <#C987|> <#C555>')).toBe('#general #C987 #C555');
    expect(fromSlack('<!here> <!channel> <!everyone>')).toBe('@here @channel @everyone');
    expect(fromSlack('<!subteam^S123|@team> <!subteam^S9>')).toBe('@team @group');
    expect(fromSlack('<!date^1392734382^{date}|Feb 18>')).toBe('Feb 18');
  });

  it('turns links and emails into the address', () => {
    expect(fromSlack('<mailto:a@b.co|a@b.co>')).toBe('a@b.co');
    expect(fromSlack('<https://x.example/a.png>')).toBe('https://x.example/a.png');
    expect(fromSlack('<https://x.example/a?b=1&amp;c=2|x.example/a>')).toBe('https://x.example/a?b=1&c=2');
    expect(fromSlack('<http://www.example.com|www.example.com>')).toBe('www.example.com');
  });

  it('leaves a user-typed, escaped sequence as the text typed (never as a Slack sequence)', () => {
    expect(fromSlack('"Acme &lt;!channel&gt;"')).toBe('"Acme <!channel>"');
  });
});

describe('esc and mention', () => {
  it('escapes exactly &, < and >', () => {
    expect(esc('a & <b> "c" *d*')).toBe('a &amp; &lt;b&gt; "c" *d*');
  });
  it('drops what would reverse or hide the text around it, keeping tabs and newlines', () => {
    expect(esc('rejected\u202e<b>\u2066\u200b\u0085\ufeff\tok\n')).toBe('rejected&lt;b&gt;\tok\n');
  });
  it('mentions only real user ids', () => {
    expect(mention('U0ADMIN')).toBe('<@U0ADMIN>');
    expect(mention('<!channel>')).toBe('&lt;!channel&gt;');
  });
});

describe('unsafe characters are refused at input', () => {
  it.each([
    ['\u202e', 'text-direction override (U+202E)'],
    ['\u200b', 'invisible character (U+200B)'],
    ['\u200f', 'text-direction override (U+200F)'],
    ['\u0085', 'C1 control character (U+0085)'],
    ['\u0007', 'control character (U+0007)'],
  ])('%j is named', (ch, words) => {
    expect(unsafeCharacter(`Acme${ch}Corp`)).toContain(words);
    expect(() => tokenize(`invite partner "Acme${ch}Corp"`)).toThrow(ArgumentError);
  });
  it('accepts ordinary text in any script', () => {
    expect(unsafeCharacter('Zoë Ångström 李 مرحبا 👍')).toBeUndefined();
  });
});

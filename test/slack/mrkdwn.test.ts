import { describe, expect, it } from 'vitest';
import { ArgumentError, tokenize } from '../../src/slack/args.js';
import { decodeEntities, esc, escClip, fromSlack, mention, unsafeCharacter } from '../../src/slack/mrkdwn.js';

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

  it('given sequences that are not what they look like, then each becomes its plain data', () => {
    // A user sequence whose target is not an id: its label, or the text after @.
    expect(fromSlack('<@nobody|Nobody Here>')).toBe('@Nobody Here');
    expect(fromSlack('<@nobody>')).toBe('@nobody');
    expect(fromSlack('<@xU0ADMIN>')).toBe('@xU0ADMIN');
    expect(fromSlack('<@U0ADMINx!>')).toBe('@U0ADMINx!');
    expect(fromSlack('<!subteam^S1|team>')).toBe('@team');
    expect(fromSlack('<!something|shown>')).toBe('shown');
    expect(fromSlack('a <!something> b')).toBe('a  b');
    expect(fromSlack('<MAILTO:A@B.CO>')).toBe('A@B.CO');
    expect(fromSlack('<xmailto:a@b.co>')).toBe('xmailto:a@b.co');
    // Slack added only a scheme: what was typed is the label; a label that is not the URL is not.
    expect(fromSlack('<https://www.x.com|www.x.com>')).toBe('www.x.com');
    expect(fromSlack('<https://evil.example|www.x.com>')).toBe('https://evil.example');
    expect(fromSlack('<http://www.x.com>')).toBe('http://www.x.com');
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
    expect(mention('W012ABCDEF')).toBe('<@W012ABCDEF>');
    expect(mention('<!channel>')).toBe('&lt;!channel&gt;');
  });

  it('given an id followed by markup (U0ABC><!channel), when mentioned, then it is shown escaped, never as a mention', () => {
    expect(mention('U0ABC><!channel')).toBe('U0ABC&gt;&lt;!channel');
    expect(mention('x<@U0ABC')).toBe('x&lt;@U0ABC');
    expect(mention('<!here>U0ABC')).toBe('&lt;!here&gt;U0ABC');
  });

  it('given no one, when mentioned, then it says someone', () => {
    expect(mention(undefined)).toBe('someone');
    expect(mention('')).toBe('someone');
  });

  it('given nothing, when escaped, then it is empty text', () => {
    expect(esc(null)).toBe('');
    expect(esc(undefined)).toBe('');
    expect(esc(0)).toBe('0');
  });

  it('given text longer than the limit, when clipped, then it is cut at the limit with an ellipsis, then escaped', () => {
    expect(escClip('abcdef', 3)).toBe('abc…');
    expect(escClip('abc', 3)).toBe('abc');
    expect(escClip('ab', 3)).toBe('ab');
    expect(escClip('<<<<', 2)).toBe('&lt;&lt;…');
    expect(escClip(undefined, 3)).toBe('');
    expect(escClip(null, 3)).toBe('');
  });
});

describe('unsafe characters are refused at input', () => {
  it.each([
    ['\u202e', 'a text-direction override (U+202E)'],
    ['\u2066', 'a text-direction override (U+2066)'],
    ['\u200e', 'a text-direction override (U+200E)'],
    ['\u200b', 'an invisible character (U+200B)'],
    ['\ufeff', 'an invisible character (U+FEFF)'],
    ['\u200f', 'a text-direction override (U+200F)'],
    ['\u0085', 'a C1 control character (U+0085)'],
    ['\u0080', 'a C1 control character (U+0080)'],
    ['\u009f', 'a C1 control character (U+009F)'],
    ['\u007f', 'a control character (U+007F)'],
    ['\u001f', 'a control character (U+001F)'],
    ['\u0000', 'a control character (U+0000)'],
    ['\u0007', 'a control character (U+0007)'],
  ])('%j is named', (ch, words) => {
    expect(unsafeCharacter(`Acme${ch}Corp`)).toBe(words);
    expect(() => tokenize(`invite partner "Acme${ch}Corp"`)).toThrow(ArgumentError);
  });
  it('accepts ordinary text in any script', () => {
    expect(unsafeCharacter('Zoë Ångström 李 مرحبا 👍')).toBeUndefined();
  });
});

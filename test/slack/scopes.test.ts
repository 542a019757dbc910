import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOT_SCOPES } from '../../src/slack/oauth.js';

/**
 * The bot scopes the app asks for are exactly those the code needs: each Slack Web API method
 * called in src/ maps to its required scope (from each method's page at
 * https://api.slack.com/methods/<method>, "Required scopes" for bot tokens), plus `commands`
 * for the /wa slash command and `chat:write.public` so progress can be posted in a channel the
 * bot has not joined (https://api.slack.com/scopes/chat:write.public). A method missing from the
 * table fails the test until its scope is looked up; a scope no call needs fails it too.
 */
const METHOD_SCOPES: Record<string, string | undefined> = {
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'chat.delete': 'chat:write',
  'users.info': 'users:read',
  'files.info': 'files:read',
  'files.list': 'files:read',
  'conversations.info': 'channels:read',
  // Views need no scope (a trigger_id or the user's App Home is the permission).
  'views.open': undefined,
  // https://api.slack.com/methods/chat.getPermalink: "No scope required" for bot tokens.
  'chat.getPermalink': undefined,
  'views.push': undefined,
  'views.update': undefined,
  'views.publish': undefined,
};
const ALWAYS = ['commands', 'chat:write.public'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? d.name === 'sandbox'
        ? [] // the local stack's fakes are Slack's side, not calls the app makes
        : sources(join(dir, d.name))
      : d.name.endsWith('.ts')
        ? [join(dir, d.name)]
        : [],
  );
}

function calledMethods(): Set<string> {
  const found = new Set<string>();
  for (const file of [...sources('src'), ...sources('functions')]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /\bclient\.(chat|users|files|conversations|views|reactions|team|bots)\.(\w+)\(/g,
    )) {
      found.add(`${m[1]}.${m[2]}`);
    }
    for (const m of text.matchAll(/\.apiCall\(\s*'([a-z]+\.[A-Za-z.]+)'/g)) found.add(m[1] as string);
  }
  return found;
}

describe('bot scopes', () => {
  it('are exactly what the Web API methods the code calls need', () => {
    const methods = [...calledMethods()].sort();
    const unknown = methods.filter((m) => !(m in METHOD_SCOPES));
    expect(unknown).toEqual([]);
    const needed = new Set([
      ...ALWAYS,
      ...methods.flatMap((m) => (METHOD_SCOPES[m] ? [METHOD_SCOPES[m]] : [])),
    ]);
    expect([...BOT_SCOPES].sort()).toEqual([...needed].sort());
  });

  it('are the ones the app manifest declares', () => {
    const manifest = JSON.parse(readFileSync('slack/manifest.json', 'utf8'));
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...BOT_SCOPES].sort());
  });
});

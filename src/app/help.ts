import type { KnownBlock } from '@slack/types';
import { catalog } from '../slack/catalog.js';
import { defineCommand, type Reply } from '../slack/command.js';
import { esc } from '../slack/mrkdwn.js';
import { noInput } from '../slack/no-input.js';

export async function help(): Promise<Reply> {
  const { commands } = catalog();
  const lines = commands.map(
    (c) =>
      `\`${esc(c.usage)}\`\n${esc(c.summary)}${c.access === 'admin' ? ' _(admins)_' : ''}${c.handler ? '' : ' _(not built yet)_'}`,
  );
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'WhatsApp onboarding: /wa' } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: '`/wa` alone (or the shortcut *WhatsApp onboarding*) opens a menu with a form per action. Quote arguments with spaces: `/wa invite partner "Acme Ltd"`. Phone numbers may have spaces: `+31 6 1234 5678`. A start command for something you already have running points to it; add `--again` to start another.',
        },
      ],
    },
  ];
  // A section holds at most 3000 characters: pack the lines into as few sections as fit.
  let chunk = '';
  for (const line of lines) {
    if (chunk.length + line.length + 2 > 2900) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
      chunk = '';
    }
    chunk += `${chunk ? '\n\n' : ''}${line}`;
  }
  if (chunk) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  return {
    response_type: 'ephemeral',
    text: `/wa alone opens a menu of forms. /wa commands:\n${commands.map((c) => `${c.usage}: ${c.summary}`).join('\n')}`,
    blocks,
  };
}

export const helpCommand = defineCommand({
  path: 'help',
  usage: '/wa help',
  summary: 'Show this list',
  access: 'member',
  schema: noInput,
  handler: async () => help,
});

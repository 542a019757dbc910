import type { KnownBlock } from '@slack/types';
import { catalog } from '../slack/catalog.js';
import { type CommandSpec, defineCommand, type Reply } from '../slack/command.js';
import { esc } from '../slack/mrkdwn.js';
import { noInput } from '../slack/no-input.js';

const line = (c: CommandSpec) =>
  `\`${esc(c.usage)}\`\n${esc(c.summary)}${c.access === 'admin' ? ' _(admins)_' : ''}${c.handler ? '' : ' _(not built yet)_'}`;

/** `/wa help`: the commands by capability (invites, templates, contacts, deployments, clients, admin). */
export async function help(): Promise<Reply> {
  const { groups } = catalog();
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
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: '*Clients and references.* Add `--client "<name>"` to any start (a partner invitation is under its client name) and `/wa client "<name>"` shows that client’s whole onboarding; names match whatever the case, spacing or accents, and a near miss is questioned. Every card shows a short reference (INV-12, DEP-3) that works wherever an id does; a template is named by its name, a deployment by its number.',
        },
      ],
    },
  ];
  for (const group of groups) {
    // A section holds at most 3000 characters: a group's lines go in as few sections as fit.
    let chunk = `*${esc(group.title)}*`;
    for (const text of group.commands.map(line)) {
      if (chunk.length + text.length + 2 > 2900) {
        blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
        chunk = '';
      }
      chunk += `${chunk ? '\n\n' : ''}${text}`;
    }
    if (chunk) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  }
  return {
    response_type: 'ephemeral',
    text: `/wa alone opens a menu of forms. /wa commands:\n${groups
      .map((g) => `${g.title}:\n${g.commands.map((c) => `${c.usage}: ${c.summary}`).join('\n')}`)
      .join('\n')}`,
    blocks: blocks.slice(0, 50),
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

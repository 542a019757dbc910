import { UserError } from '../errors.js';
import type { CmChannelsClient } from '../providers/cm-channels/client.js';
import { esc } from '../slack/mrkdwn.js';
import { metaName } from './state.js';

/** CM.com Channels template ids are GUIDs; anything else a command takes is a template's name. */
export const TEMPLATE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id of a template named by its id or by its name (Meta's name, as `template send` takes it,
 * or CM.com's): looked up with CM.com's list search. No match or several are said in words,
 * with what to do; never a guess.
 */
export async function templateIdOf(
  cm: Pick<CmChannelsClient, 'listTemplates'>,
  idOrName: string,
): Promise<string> {
  if (TEMPLATE_ID.test(idOrName)) return idOrName;
  const name = idOrName.trim().toLowerCase();
  const found = (await cm.listTemplates({ q: name, skip: 0, take: 50 })).filter(
    (t) => metaName(t) === name || t.name.trim().toLowerCase() === name,
  );
  const [only] = found;
  if (only && found.length === 1) return only.id;
  if (found.length === 0)
    throw new UserError(
      `There is no template named \`${esc(name)}\` in this workspace's CM.com account; \`/wa template list\` shows the ones there are.`,
      'not_found',
    );
  throw new UserError(
    `${found.length} templates are named \`${esc(name)}\` (${found.map((t) => `\`${esc(t.id)}\``).join(', ')}): name one by its id.`,
    'ambiguous',
  );
}

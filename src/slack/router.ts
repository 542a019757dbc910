import { ArgumentError, parseFlags, tokenize } from './args.js';
import { type CommandContext, type Reply, UserError, validateInput } from './command.js';
import { commands, commandsUnder, findCommand } from './commands.js';
import { errorReply } from './errors.js';
import { esc, fromSlack } from './mrkdwn.js';
import { mayNeedAdmin, refusal, requiredAccess } from './permissions.js';

const ephemeral = (text: string): Reply => ({ response_type: 'ephemeral', text });

/**
 * `/wa <text>`: tokenise, find the subcommand, check access, validate with the command's
 * schema, then run it. Every refusal is an ephemeral answer that names what is wrong, and
 * nothing has been changed by then.
 */
export async function runCommand(text: string, ctx: CommandContext): Promise<Reply> {
  let tokens: string[];
  try {
    tokens = tokenize(fromSlack(text).trim());
  } catch (err) {
    return ephemeral(
      `:warning: I could not read that command: ${esc((err as Error).message)}. Try \`/wa help\`.`,
    );
  }
  if (tokens.length === 0) tokens = ['help'];

  const found = findCommand(tokens);
  if (!found) {
    const group = commandsUnder(tokens[0] as string);
    if (group.length > 0) {
      const sub = tokens[1];
      return ephemeral(
        `:warning: ${sub ? `\`${esc(truncate(sub))}\` is not a subcommand of \`/wa ${tokens[0]?.toLowerCase()}\`` : `\`/wa ${tokens[0]?.toLowerCase()}\` needs a subcommand`}. Usage:\n${group.map((c) => `\`${esc(c.usage)}\``).join('\n')}`,
      );
    }
    return ephemeral(
      `:warning: Unknown subcommand \`${esc(truncate(tokens[0] as string))}\`. Try \`/wa help\` for the ${commands.length} commands.`,
    );
  }

  const { spec, rest } = found;
  if (!spec.handler) {
    return ephemeral(
      `:construction: \`/wa ${spec.path}\` is not built yet. Usage will be:\n\`${esc(spec.usage)}\``,
    );
  }
  // Admin commands, and member commands an admin has restricted in this workspace.
  // Settings first (one GetItem): Slack's users.info is asked only when the command needs an admin.
  if (mayNeedAdmin(spec) && (await requiredAccess(spec, ctx.tenant)) === 'admin' && !(await ctx.isAdmin())) {
    return refusal(spec, ctx);
  }

  let input: unknown;
  try {
    input = validateInput(spec, parseFlags(rest, spec.flags));
  } catch (err) {
    if (err instanceof ArgumentError || err instanceof UserError) {
      return ephemeral(`:warning: ${esc(err.message)}.\nUsage: \`${esc(spec.usage)}\``);
    }
    throw err;
  }

  try {
    const handler = await spec.handler();
    return await handler(input, ctx);
  } catch (err) {
    return errorReply(err, spec.usage);
  }
}

function truncate(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

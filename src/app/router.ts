import type { UserError } from '../errors.js';
import { ArgumentError, parseFlags, tokenize } from '../slack/args.js';
import {
  type CommandContext,
  type CommandSpec,
  DuplicateDeliveryError,
  firstDeliveryOnly,
  type Reply,
  rawInput,
} from '../slack/command.js';
import { errorReply } from '../slack/errors.js';
import { esc, fromSlack } from '../slack/mrkdwn.js';
import { accessRefusal, activeJobText, perform } from '../slack/service.js';
import { commands, commandsUnder, findCommand, formOf } from './catalog.js';

const ephemeral = (text: string): Reply => ({ response_type: 'ephemeral', text });

/**
 * `/wa <text>`: tokenise, find the subcommand, then the one service function (access check,
 * validation with the command's schema, handler). `/wa` alone opens the launcher. Every
 * refusal is an ephemeral answer that names what is wrong, and nothing has been changed by then.
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
  if (tokens.length === 0) {
    if (ctx.triggerId) {
      await firstDeliveryOnly(ctx);
      return (await import('./launcher.js')).openLauncherFromCommand(ctx);
    }
    tokens = ['help'];
  }

  const found = findCommand(tokens);
  if (!found) {
    const group = commandsUnder(tokens[0] as string);
    const guess = didYouMean(tokens);
    if (group.length > 0) {
      const sub = tokens[1];
      return ephemeral(
        `:warning: ${sub ? `\`${esc(truncate(sub))}\` is not a subcommand of \`/wa ${tokens[0]?.toLowerCase()}\`` : `\`/wa ${tokens[0]?.toLowerCase()}\` needs a subcommand`}.${guess ? ` Did you mean \`/wa ${guess}\`?` : ''} Usage:\n${group.map((c) => `\`${esc(c.usage)}\``).join('\n')}`,
      );
    }
    return ephemeral(
      `:warning: Unknown subcommand \`${esc(truncate(tokens[0] as string))}\`.${guess ? ` Did you mean \`/wa ${guess}\`?` : ''} Try \`/wa help\` for the ${commands.length} commands.`,
    );
  }

  const { spec, rest } = found;
  if (!spec.handler) {
    return ephemeral(
      `:construction: \`/wa ${spec.path}\` is not built yet. Usage will be:\n\`${esc(spec.usage)}\``,
    );
  }

  let raw: Record<string, unknown>;
  try {
    raw = rawInput(spec, parseFlags(rest, spec.flags));
  } catch (err) {
    if (!(err instanceof ArgumentError)) throw err;
    // Who may run it is said before what is wrong with the arguments.
    return (await accessRefusal(spec, ctx)) ?? invalidReply(spec, err, rest);
  }

  try {
    const outcome = await perform(spec, raw, ctx);
    switch (outcome.status) {
      case 'done':
      case 'refused':
        return outcome.reply;
      case 'invalid':
        return invalidReply(spec, outcome.error, rest);
      case 'active':
        return ephemeral(
          activeJobText(outcome.job, ctx, 'To start another anyway, run the same command with `--again`.'),
        );
    }
  } catch (err) {
    if (err instanceof DuplicateDeliveryError) throw err;
    return errorReply(err, spec.usage);
  }
}

/**
 * What is wrong, with the usage line; for an action that has a form, also an "Open the form"
 * button prefilled with what could be read from the text.
 */
async function invalidReply(
  spec: CommandSpec,
  err: ArgumentError | UserError,
  rest: string[],
): Promise<Reply> {
  const reply = errorReply(err, err instanceof ArgumentError ? spec.usage : undefined);
  const form = formOf(spec);
  if (!form) return reply;
  const { formOffer } = await import('../slack/forms.js');
  const offer = formOffer(form, rest);
  return {
    ...reply,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: reply.text.slice(0, 2900) } }, offer],
  };
}

/**
 * The command a mistyped one most likely meant (`inviet` → `invite`, `invite sing` → `invite
 * sign`): each word replaced by the nearest word a command has at that place, when it is at
 * most one edit away (two for words of five letters or more; a swap of two letters is one).
 */
export function didYouMean(tokens: string[]): string | undefined {
  const words: string[] = [];
  let changed = false;
  for (let i = 0; i < 3 && i < tokens.length; i++) {
    const typed = (tokens[i] as string).toLowerCase();
    const prefix = words.join(' ');
    const here = [
      ...new Set(
        commands
          .map((c) => c.path.split(' '))
          .filter((p) => p.length > i && p.slice(0, i).join(' ') === prefix)
          .map((p) => p[i] as string),
      ),
    ];
    if (here.length === 0) break;
    if (here.includes(typed)) {
      words.push(typed);
      continue;
    }
    const limit = typed.length >= 5 ? 2 : 1;
    const best = here
      .map((w) => ({ w, d: editDistance(typed, w) }))
      .filter((x) => x.d <= limit)
      .sort((a, b) => a.d - b.d)[0];
    if (!best) break;
    words.push(best.w);
    changed = true;
  }
  if (!changed || words.length === 0) return undefined;
  // The whole command when the words make one, else the group.
  const path = words.join(' ');
  return commands.some((c) => c.path === path || c.path.startsWith(`${path} `)) ? path : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

function truncate(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

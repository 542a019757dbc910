import { recordOptInForClient, rememberClient, resolveClient } from '../clients/port.js';
import { clock } from '../clock.js';
import { UserError } from '../errors.js';
import { ActiveJobError, activeJobFor, startJob } from '../jobs/service.js';
import { audit } from '../security/audit.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { slackTime } from '../slack/dates.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { maskPhone } from '../slack/schemas.js';
import { contactVerifyKind, type VerifyPayload } from './kinds.js';
import { parsePhoneList } from './phones.js';
import {
  activeOptIns,
  getOptIn,
  recordOptIn,
  reserveVerifications,
  withdrawOptIn,
  workspaceName,
  workspaceVerifyCap,
} from './repository.js';
import { contactSettings } from './settings.js';

/** Opt-ins are ours (DynamoDB only), so these answer on the ack path. */
const ephemeral = (text: string): Reply => ({ response_type: 'ephemeral', text });

export async function optIn(
  input: {
    phone: string;
    source: string;
    business?: string | undefined;
    client?: string | undefined;
    'new-client'?: boolean | undefined;
  },
  ctx: CommandContext,
): Promise<Reply> {
  const client = await resolveClient(ctx.tenant, input.client, input['new-client']);
  // The rules want the business name clear in the opt-in: default to this workspace's name.
  const business = input.business ?? (await workspaceName(ctx.tenant)) ?? ctx.teamId;
  const before = await getOptIn(ctx.tenant, input.phone);
  const rec = await recordOptIn(ctx.tenant, {
    e164: input.phone,
    source: input.source,
    business,
    recordedBy: ctx.userId,
  });
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: before?.status === 'active' ? 'optin.updated' : 'optin.recorded',
    target: maskPhone(input.phone),
    outcome: 'ok',
    detail: `source: ${input.source}; business: ${business}`,
  });
  if (client) {
    await rememberClient(ctx.tenant, client, ctx.userId, clock.now());
    await recordOptInForClient(ctx.tenant, client, {
      phone: input.phone,
      summary: `${maskPhone(input.phone)} (source: ${input.source.slice(0, 100)})`,
      by: ctx.userId,
      at: clock.now(),
    });
  }
  return ephemeral(
    `:white_check_mark: Opt-in recorded for ${input.phone}: consent to WhatsApp messages from *${esc(rec.business)}*, given via "${esc(rec.source)}" (recorded by ${mention(ctx.userId)} ${slackTime(rec.recordedAt)}${client ? `, for client *${esc(client.name)}*` : ''}).${before?.status === 'active' ? ' It replaces the earlier record.' : ''}`,
  );
}

export async function optOut(input: { phone: string }, ctx: CommandContext): Promise<Reply> {
  const rec = await withdrawOptIn(ctx.tenant, input.phone, ctx.userId);
  if (!rec) {
    await audit(ctx.tenant, {
      actor: ctx.userId,
      action: 'optin.withdrawn',
      target: maskPhone(input.phone),
      outcome: 'refused',
      detail: 'no active opt-in',
    });
    throw new UserError(`There is no active opt-in for ${input.phone}; nothing to withdraw.`);
  }
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'optin.withdrawn',
    target: maskPhone(input.phone),
    outcome: 'ok',
  });
  return ephemeral(
    `:no_bell: Opt-in withdrawn for ${input.phone}. Templates and verifications are refused for it from now on.`,
  );
}

export async function show(input: { phone: string }, ctx: CommandContext): Promise<Reply> {
  const rec = await getOptIn(ctx.tenant, input.phone);
  if (!rec) {
    return ephemeral(
      `:grey_question: No opt-in on record for ${input.phone}. Record one with \`/wa contact optin ${input.phone} --source "<where consent was given>"\`.`,
    );
  }
  const lines = [
    `*${rec.e164}*: ${rec.status === 'active' ? ':white_check_mark: opted in' : ':no_bell: opt-in withdrawn'}`,
    `Business: ${esc(rec.business)}`,
    `Source: ${esc(rec.source)}`,
    `Recorded by ${mention(rec.recordedBy)} ${slackTime(rec.recordedAt)}`,
  ];
  if (rec.withdrawnAt) lines.push(`Withdrawn by ${mention(rec.withdrawnBy)} ${slackTime(rec.withdrawnAt)}`);
  return ephemeral(lines.join('\n'));
}

export async function verify(input: { numbers: string[] }, ctx: CommandContext): Promise<Reply> {
  const settings = contactSettings();
  const numbers = await parsePhoneList(input.numbers, settings.CONTACT_VERIFY_MAX_PER_COMMAND, 'numbers');
  const opted = await activeOptIns(ctx.tenant, numbers);
  const refused = numbers.filter((n) => !opted.has(n));
  const allowed = numbers.filter((n) => opted.has(n));
  if (refused.length > 0) {
    await audit(ctx.tenant, {
      actor: ctx.userId,
      action: 'contact.verify',
      target: refused.map(maskPhone).join(', '),
      outcome: 'refused',
      detail: 'no opt-in on record',
    });
  }
  const why = `WhatsApp bans businesses that check numbers without consent, so only numbers with a recorded opt-in are checked; record one with \`/wa contact optin <+E164> --source "<where consent was given>"\`.`;
  if (allowed.length === 0) {
    throw new UserError(
      `No opt-in is on record for ${refused.join(', ')}, so ${refused.length > 1 ? 'they were' : 'it was'} not checked. ${why}`,
      'no_optin',
      { field: 'numbers' },
    );
  }
  // An identical check still running is pointed to before any of the daily cap is spent.
  const target = [...allowed].sort().join(',');
  if (!ctx.again) {
    const active = await activeJobFor(ctx.tenant, ctx.userId, 'contact.verify', target);
    if (active) throw new ActiveJobError(active);
  }
  const cap = (await workspaceVerifyCap(ctx.tenant)) ?? settings.CONTACT_VERIFY_DAILY_CAP;
  const reserved = await reserveVerifications(ctx.tenant, allowed.length, cap);
  if (!reserved.ok) {
    await audit(ctx.tenant, {
      actor: ctx.userId,
      action: 'contact.verify',
      target: `${allowed.length} numbers`,
      outcome: 'refused',
      detail: `daily cap ${cap}, ${reserved.left} left`,
    });
    throw new UserError(
      `This workspace may verify ${cap} numbers a day (checking many numbers risks a WhatsApp ban) and has ${reserved.left} left today; you asked for ${allowed.length}. Nothing was checked. Try fewer, or tomorrow (UTC).`,
    );
  }
  const payload: VerifyPayload = { numbers: allowed };
  const job = await startJob(ctx, {
    kind: contactVerifyKind,
    subject: `Verify ${allowed.length} number${allowed.length > 1 ? 's' : ''} with CommBox`,
    target,
    payload,
  });
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'contact.verify',
    target: allowed.map(maskPhone).join(', '),
    outcome: 'ok',
    detail: `job ${job.id}; ${reserved.used}/${cap} today`,
  });
  const skipped = refused.length
    ? `\n:warning: Not checked, no opt-in on record: ${refused.join(', ')}. ${why}`
    : '';
  return ephemeral(
    `:hourglass_flowing_sand: Looking it up… checking ${allowed.length} opted-in number${allowed.length > 1 ? 's' : ''} with CommBox (${reserved.used} of ${cap} verifications used today; job \`${job.id}\`).${skipped}`,
  );
}

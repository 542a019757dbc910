import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { clock } from '../clock.js';
import { audit } from '../security/audit.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { ddb, tableName } from '../store/dynamo.js';
import { keys } from '../store/keys.js';
import type { countryInput } from './schemas.js';

/** `/wa admins set country <XX|none>`. */
export async function setCountryCommand(
  input: z.output<typeof countryInput>,
  ctx: CommandContext,
): Promise<Reply> {
  const country = input.country === 'NONE' ? undefined : input.country;
  await ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.settings(ctx.tenant),
      UpdateExpression: country
        ? 'SET defaultCountry = :c, countryChangedBy = :by, countryChangedAt = :at'
        : 'REMOVE defaultCountry SET countryChangedBy = :by, countryChangedAt = :at',
      ExpressionAttributeValues: {
        ...(country ? { ':c': country } : {}),
        ':by': ctx.userId,
        ':at': new Date(clock.now()).toISOString(),
      },
    }),
  );
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'settings.country',
    target: country ?? 'none',
    outcome: 'ok',
  });
  return {
    response_type: 'ephemeral',
    text: country
      ? `:white_check_mark: Phone numbers typed without a country code are now read as ${country} numbers (for example \`06 1234 5678\` or \`(415) 555-1234\`); replies show the E.164 form.`
      : ':white_check_mark: No default country: phone numbers must start with + and their country code.',
  };
}

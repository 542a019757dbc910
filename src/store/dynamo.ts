import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DeleteCommand,
  DynamoDBDocumentClient,
  type PutCommand,
  type UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { instrument } from '../aws/instrument.js';
import { config } from '../config.js';

let client: DynamoDBDocumentClient | undefined;

/** One client per process (created on first use, then reused across warm invocations). */
export function ddb(): DynamoDBDocumentClient {
  if (!client) {
    const c = config();
    const raw = instrument(
      new DynamoDBClient({
        region: c.region,
        ...(c.dynamoEndpoint
          ? { endpoint: c.dynamoEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
          : {}),
      }),
      () => ({ tableName: config().tableName }),
    );
    client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  }
  return client;
}

export function tableName(): string {
  return config().tableName;
}

export function resetDdb(): void {
  client = undefined;
}

export function isConditionFailed(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

/** Sends a conditional write: true when it was applied, false when its condition did not hold. */
export async function conditionally(command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean> {
  try {
    // The document client's send is overloaded per command; each of these is a single-item write.
    await ddb().send(command as UpdateCommand);
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

export const epochSeconds = (ms: number) => Math.floor(ms / 1000);

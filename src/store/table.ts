import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import definition from './table.json' with { type: 'json' };

/**
 * The single table, defined once in table.json: serverless.yml loads the same file as the
 * CloudFormation resource's properties, and the local stack turns it into CreateTable here.
 */
export const DUE_INDEX = 'due';

export function createTableInput(tableName: string): CreateTableCommandInput {
  // TTL and point-in-time recovery are settings of the deployed table, not of CreateTable.
  const { TimeToLiveSpecification: _ttl, PointInTimeRecoverySpecification: _pitr, ...rest } = definition;
  return { TableName: tableName, ...(rest as Omit<CreateTableCommandInput, 'TableName'>) };
}

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A witness of the three AWS JSON-protocol APIs the app calls besides DynamoDB, for the tests
 * that drive the production adapters (src/security/envelope.ts KmsKeyProvider,
 * src/jobs/queue.ts SqsJobQueue, the SSM secrets adapter) so their calls are recorded and
 * checked against the IAM role. Written from the AWS API references:
 *
 * - KMS GenerateDataKey: https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html
 *   (KeyId required; exactly one of KeySpec / NumberOfBytes; the encryption context is bound to
 *   the ciphertext)
 * - KMS Decrypt: https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
 *   (a symmetric ciphertext opens only with the exact same encryption context, otherwise
 *   InvalidCiphertextException; a KeyId that is not the ciphertext's key: IncorrectKeyException)
 * - KMS JSON errors: https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html
 * - SQS SendMessageBatch: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 *   (1 to 10 entries, Ids unique and of [A-Za-z0-9_-]{1,80}: EmptyBatchRequest,
 *   TooManyEntriesInBatchRequest, BatchEntryIdsNotDistinct, InvalidBatchEntryId; each result
 *   carries the MD5 of the body, which the SDK checks)
 * - SQS JSON protocol (X-Amz-Target AmazonSQS.*): https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-faqs.html
 * - SSM GetParameters: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html
 *   (1 to 10 names; unknown names come back in InvalidParameters, not as an error;
 *   SecureString values are ciphertext unless WithDecryption is true)
 *
 * Every request must be SigV4-signed (an Authorization header naming the service's signing name).
 */
export interface FakeAws {
  url: string;
  /** SSM parameters: name → {type, value}. */
  parameters: Map<string, { type: 'String' | 'SecureString'; value: string }>;
  /** SQS messages received, by queue path (/account/name). */
  messages: Map<string, Array<{ id: string; body: string }>>;
  kmsKeyId: string;
  /** Every operation received, as `Service.Operation`. */
  calls: string[];
  /** Every request's JSON input, with its `Service.Operation`, in order. */
  requests: Array<{ call: string; input: Record<string, unknown> }>;
  /**
   * What the next calls of a service answer instead of doing the work, one per call: an error
   * type, e.g. `{ TrentService: ['ThrottlingException'] }` (KMS's common errors,
   * https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html, are HTTP 400, except
   * KMSInternalException, 500), or `{ answer }`, a 200 with that body (a broken or partial answer).
   */
  faults: Record<string, Array<string | { answer: Record<string, unknown> }>>;
  close(): Promise<void>;
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startFakeAws(): Promise<FakeAws> {
  const master = randomBytes(32);
  const kmsKeyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
  const parameters: FakeAws['parameters'] = new Map();
  const messages: FakeAws['messages'] = new Map();
  const calls: string[] = [];
  const requests: FakeAws['requests'] = [];
  const faults: FakeAws['faults'] = {};

  const seal = (plaintext: Buffer, context: string) => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', master, iv);
    c.setAAD(Buffer.from(context));
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([Buffer.from(kmsKeyId), iv, c.getAuthTag(), body]);
  };
  const unseal = (blob: Buffer, context: string) => {
    const keyId = blob.subarray(0, kmsKeyId.length).toString();
    if (keyId !== kmsKeyId)
      throw new AwsError('InvalidCiphertextException', 'not a ciphertext of this account');
    const rest = blob.subarray(kmsKeyId.length);
    try {
      const d = createDecipheriv('aes-256-gcm', master, rest.subarray(0, 12));
      d.setAAD(Buffer.from(context));
      d.setAuthTag(rest.subarray(12, 28));
      return Buffer.concat([d.update(rest.subarray(28)), d.final()]);
    } catch {
      throw new AwsError('InvalidCiphertextException', '');
    }
  };
  // The context is bound as a canonical (sorted) form, as KMS treats it as an unordered map.
  const canonical = (ctx: unknown) =>
    JSON.stringify(
      Object.entries((ctx ?? {}) as Record<string, string>).sort(([a], [b]) => a.localeCompare(b)),
    );
  const keyMatches = (id: unknown) =>
    typeof id === 'string' && (id === kmsKeyId || id.endsWith(`:key/${kmsKeyId}`));

  const kms: Record<string, (input: Record<string, unknown>) => unknown> = {
    GenerateDataKey: (input) => {
      if (typeof input.KeyId !== 'string' || !input.KeyId)
        throw new AwsError('ValidationException', 'KeyId is required');
      if (!keyMatches(input.KeyId))
        throw new AwsError('NotFoundException', `Key '${input.KeyId}' does not exist`);
      if ((input.KeySpec === undefined) === (input.NumberOfBytes === undefined)) {
        throw new AwsError('ValidationException', 'Specify exactly one of KeySpec or NumberOfBytes');
      }
      const bytes =
        input.KeySpec === 'AES_256' ? 32 : input.KeySpec === 'AES_128' ? 16 : Number(input.NumberOfBytes);
      const plaintext = randomBytes(bytes);
      return {
        KeyId: `arn:aws:kms:eu-west-1:123456789012:key/${kmsKeyId}`,
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: seal(plaintext, canonical(input.EncryptionContext)).toString('base64'),
      };
    },
    Decrypt: (input) => {
      if (typeof input.CiphertextBlob !== 'string')
        throw new AwsError('ValidationException', 'CiphertextBlob is required');
      if (input.KeyId !== undefined && !keyMatches(input.KeyId))
        throw new AwsError('IncorrectKeyException', '');
      const plaintext = unseal(
        Buffer.from(input.CiphertextBlob, 'base64'),
        canonical(input.EncryptionContext),
      );
      return {
        KeyId: `arn:aws:kms:eu-west-1:123456789012:key/${kmsKeyId}`,
        Plaintext: plaintext.toString('base64'),
      };
    },
  };

  const sqs: Record<string, (input: Record<string, unknown>) => unknown> = {
    SendMessageBatch: (input) => {
      const entries = input.Entries as Array<{ Id: string; MessageBody: string }> | undefined;
      if (!entries?.length) throw new AwsError('AWS.SimpleQueueService.EmptyBatchRequest', 'no entries');
      if (entries.length > 10)
        throw new AwsError('AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 'max 10');
      if (new Set(entries.map((e) => e.Id)).size !== entries.length) {
        throw new AwsError('AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 'Ids must be distinct');
      }
      if (entries.some((e) => !/^[A-Za-z0-9_-]{1,80}$/.test(e.Id))) {
        throw new AwsError('AWS.SimpleQueueService.InvalidBatchEntryId', 'bad Id');
      }
      const path = new URL(String(input.QueueUrl)).pathname;
      const queue = messages.get(path) ?? [];
      messages.set(path, queue);
      return {
        Successful: entries.map((e) => {
          const id = randomBytes(16).toString('hex');
          queue.push({ id, body: e.MessageBody });
          return {
            Id: e.Id,
            MessageId: id,
            MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex'),
          };
        }),
        Failed: [],
      };
    },
  };

  const ssm: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetParameters: (input) => {
      const names = input.Names as string[] | undefined;
      if (!names?.length || names.length > 10)
        throw new AwsError('ValidationException', 'Names: 1 to 10 names');
      const found = names.filter((n) => parameters.has(n));
      return {
        Parameters: found.map((n) => {
          const p = parameters.get(n) as { type: string; value: string };
          const hidden = p.type === 'SecureString' && input.WithDecryption !== true;
          return {
            Name: n,
            Type: p.type,
            Value: hidden ? Buffer.from(`encrypted:${p.value}`).toString('base64') : p.value,
            Version: 1,
            ARN: `arn:aws:ssm:eu-west-1:123456789012:parameter/${n.replace(/^\//, '')}`,
            DataType: 'text',
          };
        }),
        InvalidParameters: names.filter((n) => !parameters.has(n)),
      };
    },
    GetParameter: (input) => {
      const p = parameters.get(String(input.Name));
      if (!p) throw new AwsError('ParameterNotFound', '');
      const hidden = p.type === 'SecureString' && input.WithDecryption !== true;
      return {
        Parameter: { Name: input.Name, Type: p.type, Value: hidden ? '[encrypted]' : p.value, Version: 1 },
      };
    },
  };

  const services: Record<string, { signing: string; ops: typeof kms }> = {
    TrentService: { signing: 'kms', ops: kms },
    AmazonSQS: { signing: 'sqs', ops: sqs },
    AmazonSSM: { signing: 'ssm', ops: ssm },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown, type?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(JSON.stringify(body));
    };
    try {
      const [service = '', op = ''] = String(req.headers['x-amz-target'] ?? '').split('.');
      const api = services[service];
      if (req.method !== 'POST' || !api) throw new AwsError('UnknownOperationException', 'unknown target');
      const auth = String(req.headers.authorization ?? '');
      if (!auth.startsWith('AWS4-HMAC-SHA256 ') || !auth.includes(`/${api.signing}/aws4_request`)) {
        throw new AwsError('MissingAuthenticationTokenException', 'request is not signed', 403);
      }
      calls.push(`${service}.${op}`);
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      requests.push({ call: `${service}.${op}`, input });
      const fault = faults[service]?.shift();
      if (typeof fault === 'object') return send(200, fault.answer);
      if (fault) throw new AwsError(fault, `injected ${fault}`, fault === 'KMSInternalException' ? 500 : 400);
      const fn = api.ops[op];
      if (!fn) throw new AwsError('UnknownOperationException', `${service}.${op} is not modelled`);
      send(200, fn(input));
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('InternalFailure', String(err), 500);
      send(e.status, { __type: e.type, message: e.message }, e.type);
    }
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    parameters,
    messages,
    kmsKeyId,
    calls,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

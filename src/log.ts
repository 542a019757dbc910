import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { redactKnownValues } from './redaction.js';

/**
 * Field names whose values never reach a log line. Every field of every provider's credentials
 * (src/providers/index.ts) matches; test/security/logs.e2e.test.ts checks that it stays so.
 */
export const SECRET_KEY =
  /token|secret|password|authorization|api[-_]?key|private[-_]?key|signature|cookie|^code$|^otp$|^pin$|stream[-_]?id|channel[-_]?request[-_]?id|account[-_]?id|key[-_]?id|application[-_]?id|jwt|credential|sealed|certificate|^cert$/i;
const PHONE = /\+?\b\d[\d ()-]{6,}\d\b/g;
const BEARERISH = /\b(xox[abpre]-[\w-]+|Bearer\s+[\w.~+/-]+=*)/g;

/** Phone numbers keep their first 2 and last 2 digits; secrets vanish entirely. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') {
    return redactKnownValues(value)
      .replace(BEARERISH, '[redacted]')
      .replace(PHONE, (m) => {
        const d = m.replace(/\D/g, '');
        return d.length < 7 ? m : `${m.startsWith('+') ? '+' : ''}${d.slice(0, 2)}***${d.slice(-2)}`;
      });
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redact(value.message, depth + 1),
      code: (value as { code?: unknown }).code,
    };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

/** Powertools' JSON shape, with every attribute passed through `redact` on the way out. */
class RedactingFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    // Ids are ours, not user data: kept out of redact(), whose phone pattern would mask a UUID's digits.
    const { api_request_id, ...rest } = additional;
    return new LogItem({
      attributes: {
        ...(redact({
          level: attributes.logLevel,
          message: attributes.message,
          timestamp: this.formatTimestamp(attributes.timestamp),
          service: attributes.serviceName,
        }) as LogAttributes),
        request_id: attributes.lambdaContext?.awsRequestId,
        api_request_id,
        cold_start: attributes.lambdaContext?.coldStart,
        function_name: attributes.lambdaContext?.functionName,
        xray_trace_id: attributes.xRayTraceId,
        ...(redact(rest) as LogAttributes),
      },
    });
  }
}

export const logger = new Logger({
  serviceName: 'wa-onboarding',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
  logFormatter: new RedactingFormatter(),
});

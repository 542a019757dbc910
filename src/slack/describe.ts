import { UserError } from '../errors.js';
import { ProviderError, RateLimitedError } from '../http/errors.js';
import { PROVIDER_LABELS } from '../providers/index.js';
import { esc } from './mrkdwn.js';

const label = (p: string) => (PROVIDER_LABELS as Record<string, string>)[p] ?? p;

/**
 * A failure in plain words, with the provider's own code and detail when there is one. The
 * result is mrkdwn-safe (what came from outside is escaped): job reasons are shown as they are.
 */
export function describeError(err: unknown): string {
  if (err instanceof ProviderError) {
    // The sentence ends with our full stop, not a second one after the provider's.
    const words = err.detail?.trim().replace(/[.\s]+$/, '');
    const detail = words ? `: ${esc(words)}` : '';
    const code = err.code && !err.code.startsWith('http_') ? ` (${esc(err.code)})` : '';
    switch (err.kind) {
      case 'auth':
        return `${label(err.provider)} refused this workspace's credentials${code}. An admin can fix them with \`/wa connect\`.`;
      case 'garbage':
        return `${label(err.provider)} answered with something we could not read${detail}.`;
      case 'transient':
        return `${label(err.provider)} is not answering properly right now${code}${detail}.`;
      default:
        return `${label(err.provider)} refused the request${code}${detail}.`;
    }
  }
  if (err instanceof RateLimitedError) return 'we are at the provider rate limit for this workspace.';
  if (err instanceof UserError) return esc(err.message);
  return 'an unexpected error on our side.';
}

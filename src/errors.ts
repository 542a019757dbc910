/**
 * The kernel's errors: every error the app raises on purpose carries a stable `code`, its
 * `cause`, and whether another try may succeed (`retryable`). The job engine retries what is
 * retryable; the Slack kit words a `UserError` to the person who can fix it. Imports nothing.
 */
export class AppError extends Error {
  override readonly name: string = 'AppError';
  readonly code: string;
  readonly retryable: boolean;
  constructor(message: string, code = 'app_error', options?: ErrorOptions & { retryable?: boolean }) {
    super(message, options);
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

/** An error whose message is meant for the person who typed the command (never retried). */
export class UserError extends AppError {
  override readonly name: string = 'UserError';
  /** The input field it is about, when known: forms show the error beside that field. */
  readonly field: string | undefined;
  constructor(message: string, code = 'user_error', options?: ErrorOptions & { field?: string | undefined }) {
    super(message, code, { ...options, retryable: false });
    this.field = options?.field;
  }
}

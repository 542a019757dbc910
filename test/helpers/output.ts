import { vi } from 'vitest';

/**
 * Captures everything this process writes (stdout, stderr and every console level) into `into`,
 * still passing it on, so a test can assert on what the logs would carry. vitest restores the
 * spies with `vi.restoreAllMocks()`.
 */
export function captureOutput(into: string[]): void {
  const capture =
    (orig: (...a: never[]) => unknown) =>
    (...args: unknown[]) => {
      into.push(
        args
          .map((a) =>
            typeof a === 'string'
              ? a
              : a instanceof Uint8Array
                ? Buffer.from(a).toString()
                : (JSON.stringify(a) ?? String(a)),
          )
          .join(' '),
      );
      return (orig as (...a: unknown[]) => unknown)(...args);
    };
  for (const stream of [process.stdout, process.stderr]) {
    const orig = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(capture(orig as never) as never);
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const orig = console[level].bind(console);
    vi.spyOn(console, level).mockImplementation(capture(orig as never) as never);
  }
}

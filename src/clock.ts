/**
 * One clock for the app and the provider sandboxes. In AWS it is the system clock. The local
 * stack installs a simulated clock that starts at the real time, keeps flowing with it, and can
 * be moved forward (`POST /_sandbox/clock`), so reminders, expiries, polls and leases that are
 * days apart can be seen in seconds. Durations measured on the wall (HTTP timeouts, a Lambda's
 * remaining time, Slack's request signatures) stay on real time: Slack is not ours to simulate.
 */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

const system: Clock = { now: () => Date.now() };
let current: Clock = system;

export const clock: Clock = {
  now: () => current.now(),
};

/** The local stack's clock: real time plus how far it has been moved forward. */
export class SimulatedClock implements Clock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  /** Moves the clock forward (never back: leases and due times only make sense forward). */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offset += ms;
    return this.now();
  }

  /** How far ahead of real time this clock is (persisted with DATA_DIR so a restart keeps it). */
  get ahead(): number {
    return this.offset;
  }

  set ahead(ms: number) {
    this.offset = Math.max(0, ms);
  }
}

/** Installs a clock (the local stack's simulated one); undefined restores the system clock. */
export function setClock(next: Clock | undefined): void {
  current = next ?? system;
}

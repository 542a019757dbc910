import { clock } from '../clock.js';

/**
 * A small per-container cache: entries live until their own deadline (on the app clock, so the
 * local stack's simulated time expires them too) and the oldest entry goes first once `max` is
 * reached. A warm Lambda keeps it between invocations; a cold one starts empty, so nothing here
 * may be needed for correctness, only to save calls.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly max: number,
    private readonly onEvict?: (value: V) => void,
  ) {}

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until <= clock.now()) {
      this.delete(key);
      return undefined;
    }
    return hit.value;
  }

  /** Keeps `value` until `until` (ms on the app clock); a deadline already past stores nothing. */
  set(key: string, value: V, until: number): void {
    this.delete(key);
    if (until <= clock.now()) {
      this.onEvict?.(value);
      return;
    }
    this.entries.set(key, { value, until });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const hit = this.entries.get(key);
    if (!hit) return;
    this.entries.delete(key);
    this.onEvict?.(hit.value);
  }

  /** Drops every entry whose key starts with `prefix` (a tenant's, on uninstall). */
  deletePrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

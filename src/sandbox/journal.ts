import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * An append-only JSON-lines file that lets sandbox records outlive the process when DATA_DIR
 * is set (the real Slack and providers would still hold them), and stays in memory otherwise.
 */
export class Journal<T> {
  readonly items: T[] = [];
  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) if (line) this.items.push(JSON.parse(line));
    }
    if (file) mkdirSync(dirname(file), { recursive: true });
  }
  push(item: T): T {
    this.items.push(item);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(item)}\n`);
    return item;
  }
}

/** A keyed record store on top of a journal: the latest write of each key wins on reload. */
export class RecordStore<T extends { id: string }> {
  private readonly journal: Journal<T>;
  readonly byId = new Map<string, T>();
  constructor(file?: string) {
    this.journal = new Journal<T>(file);
    for (const item of this.journal.items) this.byId.set(item.id, item);
  }
  put(item: T): T {
    this.byId.set(item.id, item);
    this.journal.push(item);
    return item;
  }
  get(id: string): T | undefined {
    return this.byId.get(id);
  }
  all(): T[] {
    return [...this.byId.values()];
  }
}

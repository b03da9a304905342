/**
 * Texts kept for public links (a long IRC message's full text), in core's key-value store under
 * the `public-text` namespace, each until its link expires. Texts are numbered in the order they
 * come, so pruning walks from the oldest and stops at the first one still alive: no listing of
 * keys is needed, and a prune costs one read per expired text.
 *
 * Writes and prunes of this process go one at a time (a promise chain), so the counter is never
 * read twice for two texts. One process owns the store, as everywhere in core.
 */
import type { KeyValue } from '../store/store.js';

export const PUBLIC_TEXT_NAMESPACE = 'public-text';

/** Larger texts are refused: a link is for a chat message, not for a file. */
export const MAX_PUBLIC_TEXT_BYTES = 1024 * 1024;

interface Kept {
  text: string;
  expiresAt: number;
}

export class PublicTexts {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kv: KeyValue,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps `text` until `expiresAt` (ms); resolves to its number. */
  add(text: string, expiresAt: number): Promise<number> {
    if (Buffer.byteLength(text) > MAX_PUBLIC_TEXT_BYTES)
      return Promise.reject(
        new RangeError(`a public text is at most ${MAX_PUBLIC_TEXT_BYTES} bytes`),
      );
    return this.serial(async () => {
      const id = await this.counter('next');
      const kept: Kept = { text, expiresAt };
      await this.kv.set(PUBLIC_TEXT_NAMESPACE, key(id), JSON.stringify(kept));
      await this.kv.set(PUBLIC_TEXT_NAMESPACE, 'next', String(id + 1));
      return id;
    });
  }

  /** The text, or undefined when there is none (never kept, or pruned) or it has expired. */
  async get(id: number): Promise<string | undefined> {
    const kept = await this.read(id);
    return kept && kept.expiresAt > this.now() ? kept.text : undefined;
  }

  /** Deletes expired texts, oldest first; resolves to how many. */
  prune(): Promise<number> {
    return this.serial(async () => {
      const next = await this.counter('next');
      let oldest = await this.counter('oldest');
      let removed = 0;
      for (; oldest < next; oldest++) {
        const kept = await this.read(oldest);
        // Texts expire in the order they came (one ttl for all), save after a change of
        // `ttl_hours`: then a younger expired text waits for its older neighbour, and is refused
        // meanwhile all the same (`get` checks the time).
        if (kept && kept.expiresAt > this.now()) break;
        if (kept) {
          await this.kv.delete(PUBLIC_TEXT_NAMESPACE, key(oldest));
          removed++;
        }
      }
      await this.kv.set(PUBLIC_TEXT_NAMESPACE, 'oldest', String(oldest));
      return removed;
    });
  }

  private async read(id: number): Promise<Kept | undefined> {
    const raw = await this.kv.get(PUBLIC_TEXT_NAMESPACE, key(id));
    return raw === undefined ? undefined : (JSON.parse(raw) as Kept);
  }

  private async counter(name: 'next' | 'oldest'): Promise<number> {
    const raw = await this.kv.get(PUBLIC_TEXT_NAMESPACE, name);
    return raw === undefined ? 0 : Number(raw);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

const key = (id: number) => `t:${id}`;

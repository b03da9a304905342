/** Work in order per key (a portal's events): each task starts after the key's previous one ended. */
export class KeyedChain {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>, onError: (err: unknown) => void): Promise<void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task).catch(onError);
    this.tails.set(key, next);
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves when every task queued so far ended (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}

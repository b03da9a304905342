/**
 * Order and doubles across a bridge: the lines of each room or channel in the order one side saw
 * them, compared with the order the other side had them in. A line counts as out of order when a
 * line after it at the source was seen before it.
 */
export class OrderLog {
  private readonly byKey = new Map<string, string[]>();
  private readonly seen = new Set<string>();
  /** Lines seen more than once. */
  doubled = 0;

  add(key: string, line: string): void {
    if (this.seen.has(line)) this.doubled++;
    else this.seen.add(line);
    const lines = this.byKey.get(key);
    if (lines) lines.push(line);
    else this.byKey.set(key, [line]);
  }

  /** Lines (those `include` keeps) seen here out of the order `source` had them in, per key. */
  outOfOrder(source: OrderLog, include: (line: string) => boolean): number {
    let count = 0;
    for (const [key, lines] of this.byKey) {
      const position = new Map((source.byKey.get(key) ?? []).map((line, i) => [line, i]));
      let latest = -1;
      for (const line of lines) {
        const at = position.get(line);
        if (at === undefined || !include(line)) continue;
        if (at < latest) count++;
        else latest = at;
      }
    }
    return count;
  }
}

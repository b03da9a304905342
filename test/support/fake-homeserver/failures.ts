/** Injected failures: the next matching request(s) get an answer, a dropped connection or silence. */
/** An injected failure for the next matching request(s): an answer, a dropped connection or silence. */
export interface FailureRule {
  method?: string;
  /** Substring of, or pattern for, the request path as sent (still URL-encoded, no query). */
  path?: string | RegExp;
  times?: number;
  status?: number;
  /** JSON, or a string sent as text/html. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the socket without answering (a network error for the client). */
  drop?: boolean;
  /** Never answer (until close): the client's timeout fires. */
  hang?: boolean;
}

export class FailureInjector {
  private readonly rules: (FailureRule & { left: number })[] = [];

  add(rule: FailureRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  /** The rule for this request, if one matches; each match uses up one of its `times`. */
  take(method: string, path: string): FailureRule | undefined {
    const index = this.rules.findIndex(
      (f) =>
        (!f.method || f.method === method) &&
        (!f.path || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))),
    );
    if (index < 0) return undefined;
    const rule = this.rules[index]!;
    if (--rule.left <= 0) this.rules.splice(index, 1);
    return rule;
  }
}

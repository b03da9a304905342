/**
 * The homeserver as the status page shows it: whether it answers, when the last transaction came,
 * and whether it reaches the bridge (the appservice ping). Checked when the page asks, at most
 * every 30 s, with a short timeout, so a page reload never hammers the homeserver.
 */
import type { MatrixClient } from '../matrix/client.js';

const CHECK_EVERY_MS = 30_000;

export interface HomeserverStatus {
  reachable: boolean;
  /** Why not, when it is not. */
  error?: string;
  checkedAt?: number;
  /** When the last transaction from the homeserver came (ms), since start. */
  lastTransactionAt?: number;
  /** The appservice ping: its round trip in ms, or why it failed, or `unsupported`. */
  ping?: { ok: true; ms: number } | { ok: false; error: string };
}

export class HomeserverWatch {
  private status: HomeserverStatus = { reachable: false };
  private checking?: Promise<void>;
  private lastTransactionAt?: number;

  constructor(
    private readonly probe: Pick<MatrixClient, 'versions' | 'pingAppservice'>,
    private readonly appserviceId: string,
    private readonly now: () => number = Date.now,
  ) {}

  transactionReceived(): void {
    this.lastTransactionAt = this.now();
  }

  /** The latest result, checking again first when the last check is old. */
  async current(): Promise<HomeserverStatus> {
    const stale = !this.status.checkedAt || this.now() - this.status.checkedAt > CHECK_EVERY_MS;
    if (stale) await (this.checking ??= this.check().finally(() => (this.checking = undefined)));
    return {
      ...this.status,
      ...(this.lastTransactionAt ? { lastTransactionAt: this.lastTransactionAt } : {}),
    };
  }

  private async check(): Promise<void> {
    const next: HomeserverStatus = { reachable: true, checkedAt: this.now() };
    try {
      await this.probe.versions();
    } catch (err) {
      this.status = { reachable: false, error: (err as Error).message, checkedAt: this.now() };
      return;
    }
    try {
      const { durationMs } = await this.probe.pingAppservice(
        this.appserviceId,
        `sb.status-ping.${this.now()}`,
      );
      next.ping = { ok: true, ms: durationMs };
    } catch (err) {
      const e = err as { errcode?: string; status?: number; message: string };
      next.ping = {
        ok: false,
        error:
          e.errcode === 'M_UNRECOGNIZED' || e.status === 404
            ? 'this homeserver has no appservice ping'
            : e.message,
      };
    }
    this.status = next;
  }
}

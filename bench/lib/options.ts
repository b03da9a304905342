/** The benchmark's options, as parsed from the command line by bench/inbox.bench.ts. */
export interface BenchOptions {
  runs: number;
  /** Transactions per run, and events in each. */
  txns: number;
  size: number;
  /** Portal rooms, and Matrix users in each. */
  rooms: number;
  usersPerRoom: number;
  /** How many transactions are sent side by side; each value is a run of its own. */
  inFlight: number[];
  /** How long to wait for the last echo. */
  e2eTimeoutMs: number;
}

/** Where a run writes its progress lines (the benchmark's stdout). */
export type Log = (line?: string) => void;

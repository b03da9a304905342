/**
 * Transaction ingestion through the real Switchboard: the homeserver's PUT /transactions → the
 * appservice listener → the durable inbox (stored before the 200) → per-room queues → the echo
 * connector → the outbox → the in-memory stand-in homeserver (test/support/fake-homeserver.ts).
 *
 * The bridge runs in a child process of its own (bench/bridge-process.ts), as it would beside a
 * real homeserver; this process plays the homeserver: it pushes transactions one at a time (as
 * Synapse does) or several at once, and takes the echoes' sends. Scenarios:
 *   inbox   the store's inbox.addTransaction called directly, in this process: the ceiling.
 *   ingest  transactions over HTTP into rooms without portals: the acknowledgement path with
 *           next to nothing behind it.
 *   echo    transactions over HTTP into echo portals: every event is echoed back by the echo
 *           connector and sent to the homeserver (the whole pipeline).
 *   paced   echo at a light load (10-event transactions every 100 ms): latency when not queued.
 * Measured: acknowledged events/s (first PUT → last 200), end-to-end events/s (first PUT → last
 * echo at the homeserver), per-event latency (its transaction's PUT → its echo at the
 * homeserver), the bridge's peak RSS and heap (sampled every 50 ms in the bridge) and its CPU.
 *
 * usage: npm run bench [-- --runs 3 --txns 300 --size 100 --rooms 10 --users 3 --in-flight 1
 *                          (one in flight as Synapse sends them; 1,4 adds rows with four, not Synapse's way)
 *                          --scenarios inbox,ingest,echo,paced --db-dir /tmp --e2e-timeout 600 --sqlite-only]
 * env:   SWITCHBOARD_BENCH_PG_URL=postgres://…  also runs against PostgreSQL (in a fresh schema,
 *        dropped afterwards); PostgreSQL is not started here.
 *        SWITCHBOARD_BENCH_CPU_PROF=<dir>  writes a V8 CPU profile of each bridge process there.
 * Results go to stdout, human-readable first, then one JSON document after a `--- json ---` line.
 *
 * This file is the options and the main loop; the parts are in bench/lib/ (one concept a file):
 * the runs (pipeline-run.ts, inbox-only-run.ts), the bridge's process (bridge-handle.ts), sending
 * transactions (pusher.ts), databases, machine facts, statistics.
 */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { postgresTarget, sqliteTarget, type DbTarget } from './lib/databases.js';
import { inboxOnlyRun, type InboxOnlyResult } from './lib/inbox-only-run.js';
import { machine } from './lib/machine.js';
import { describePipeline, pipelineRun, type PipelineResult } from './lib/pipeline-run.js';
import { summarize } from './lib/stats.js';
import type { BenchOptions } from './lib/options.js';

// ------------------------------------------------------------------ options

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    txns: { type: 'string', default: '300' },
    size: { type: 'string', default: '100' },
    rooms: { type: 'string', default: '10' },
    users: { type: 'string', default: '3' },
    // One transaction in flight, as Synapse sends them; `--in-flight 1,4` adds a labelled extra row.
    'in-flight': { type: 'string', default: '1' },
    'e2e-timeout': { type: 'string', default: '600' },
    scenarios: { type: 'string', default: 'inbox,ingest,echo,paced' },
    'sqlite-only': { type: 'boolean', default: false },
    /** Where the SQLite temp dirs go (default: the OS temp dir). /dev/shm shows the cost without fsync. */
    'db-dir': { type: 'string', default: tmpdir() },
  },
});

const opts: BenchOptions = {
  runs: Number(args.runs),
  txns: Number(args.txns),
  size: Number(args.size),
  rooms: Number(args.rooms),
  usersPerRoom: Number(args.users),
  inFlight: args['in-flight'].split(',').map(Number),
  e2eTimeoutMs: Number(args['e2e-timeout']) * 1000,
};
for (const [key, value] of Object.entries(opts)) {
  const bad = Array.isArray(value) ? value.some((v) => !(v >= 1)) : !(value >= 1);
  if (bad) throw new Error(`bad option ${key}: ${String(value)}`);
}

// ------------------------------------------------------------------ main

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const SCENARIOS = ['inbox', 'ingest', 'echo', 'paced'] as const;
type Scenario = (typeof SCENARIOS)[number];

async function main(): Promise<void> {
  const scenarios = args.scenarios.split(',') as Scenario[];
  for (const s of scenarios)
    if (!SCENARIOS.includes(s))
      throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
  const facts = machine(args['db-dir']);
  log(`Switchboard inbox benchmark — ${facts.date}`);
  log(
    `machine: ${facts.nproc} CPUs (${facts.cpuModel}), ${facts.totalMemoryMB} MB, node ${facts.node}, kernel ${facts.kernel}, load average ${facts.loadAverage.join(' ')}`,
  );
  log(`disk: ${facts.fsyncsPerSecond} write+fsync/s in ${args['db-dir']} (SQLite files go there)`);
  log(
    `workload: ${opts.txns} transactions × ${opts.size} events, ${opts.rooms} rooms × ${opts.usersPerRoom} users; ` +
      `scenarios ${scenarios.join(', ')}; in flight ${opts.inFlight.join(' and ')}; ${opts.runs} run(s)`,
  );

  const targets: DbTarget[] = [sqliteTarget(args['db-dir'])];
  const pgUrl = process.env.SWITCHBOARD_BENCH_PG_URL;
  if (pgUrl && !args['sqlite-only']) targets.push(postgresTarget(pgUrl));
  else
    log(
      pgUrl
        ? 'postgres: skipped (--sqlite-only)'
        : 'postgres: skipped (SWITCHBOARD_BENCH_PG_URL is not set)',
    );

  const inboxOnly: InboxOnlyResult[] = [];
  const pipeline: PipelineResult[] = [];
  for (let run = 1; run <= opts.runs; run++) {
    for (const target of targets) {
      for (const scenario of scenarios) {
        if (scenario === 'inbox') {
          const r = await inboxOnlyRun(target, opts);
          inboxOnly.push(r);
          log(
            `[run ${run}] ${target.kind}, inbox alone: ${r.eventsPerSecond} ev/s (${r.seconds} s; one transaction p50 ${r.commitMs.p50} ms, p99 ${r.commitMs.p99} ms)`,
          );
          continue;
        }
        for (const inFlight of scenario === 'paced' ? [1] : opts.inFlight) {
          const r = await pipelineRun(target, scenario, inFlight, opts, log);
          pipeline.push(r);
          log(
            `[run ${run}] ${target.kind}, ${scenario}, ${inFlight} in flight${inFlight > 1 ? ' (extra: Synapse sends one at a time)' : ''}:\n    ${describePipeline(r)}`,
          );
        }
      }
    }
  }

  const summary: Record<string, Record<string, ReturnType<typeof summarize>>> = {};
  for (const target of targets) {
    const io = inboxOnly.filter((r) => r.db === target.kind);
    if (io.length)
      summary[`${target.kind}, inbox alone`] = {
        eventsPerSecond: summarize(io, (r) => r.eventsPerSecond),
      };
    for (const scenario of scenarios) {
      for (const inFlight of scenario === 'paced' ? [1] : opts.inFlight) {
        const rs = pipeline.filter(
          (r) => r.db === target.kind && r.scenario === scenario && r.inFlight === inFlight,
        );
        if (rs.length === 0) continue;
        summary[`${target.kind}, ${scenario}, ${inFlight} in flight`] = {
          ackEventsPerSecond: summarize(rs, (r) => r.ackEventsPerSecond),
          e2eEventsPerSecond: summarize(rs, (r) => r.e2eEventsPerSecond),
          latencyP50Ms: summarize(rs, (r) => r.latencyMs?.p50),
          latencyP99Ms: summarize(rs, (r) => r.latencyMs?.p99),
          peakRssMB: summarize(rs, (r) => r.peakRssMB),
          peakHeapUsedMB: summarize(rs, (r) => r.peakHeapUsedMB),
          bridgeCpuMsPerEvent: summarize(rs, (r) => r.bridgeCpuMsPerEvent),
        };
      }
    }
  }
  log('');
  log(`summary over ${opts.runs} run(s) (median [min–max]):`);
  for (const [name, metrics] of Object.entries(summary)) {
    const parts = Object.entries(metrics)
      .filter(([, s]) => s !== undefined)
      .map(([metric, s]) =>
        opts.runs > 1 ? `${metric} ${s!.median} [${s!.min}–${s!.max}]` : `${metric} ${s!.median}`,
      );
    log(`  ${name}: ${parts.join(', ')}`);
  }
  // The project's target: ≥ 20,000 events/s acknowledged in 100-event transactions, each stored
  // (fsync'd) before its 200. Shown for each way of measuring it.
  const goal = 20_000;
  for (const [key, what] of [
    ['sqlite, inbox alone', 'the inbox alone, no HTTP'],
    ['sqlite, ingest, 1 in flight', 'over HTTP, nothing behind it, one transaction in flight'],
    ['sqlite, echo, 1 in flight', 'over HTTP with the echo pipeline running, one in flight'],
  ] as const) {
    const m = summary[key];
    const rate = (m?.ackEventsPerSecond ?? m?.eventsPerSecond)?.median;
    if (rate === undefined) continue;
    log(
      `target ≥ ${goal} ev/s acknowledged, ${what}: ${rate >= goal ? 'met' : 'NOT met'} (${rate})`,
    );
  }
  log('--- json ---');
  log(
    JSON.stringify(
      {
        machine: facts,
        options: { ...opts, scenarios, dbDir: args['db-dir'] },
        inboxOnly,
        pipeline,
        summary,
      },
      null,
      2,
    ),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

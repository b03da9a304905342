/** bench:sip-media's command line: its options, checked, and `--help`, which lists them. */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';

export const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    'setup-rate': { type: 'string', default: '10' },
    'no-baseline': { type: 'boolean', default: false },
    'db-dir': { type: 'string', default: tmpdir() },
    /** The bridge's `media.threads` (default: the bridge's own default). */
    threads: { type: 'string' },
    /** This process (the peers) and Kamailio on CPU 0, the bridge on CPU 1 (taskset). */
    pin: { type: 'boolean', default: false },
    /** The bridge's `media.priority` (a nice value; negative needs CAP_SYS_NICE). */
    priority: { type: 'string' },
    /** The bridge's `media.realtime` (SCHED_RR 1 … 99; needs CAP_SYS_NICE). */
    realtime: { type: 'string' },
    /** The bridge's `media.young_generation_mb` (each media thread's young generation, MB). */
    'young-mb': { type: 'string' },
    /** The bridge's `media.process`: each media thread a child process (single-threaded GC). */
    process: { type: 'boolean', default: false },
    worker: { type: 'boolean', default: false }, // media.process: false, even with --realtime
    /**
     * This process's own nice value (every thread of it: the phones and Matrix clients), so that
     * the load generator does not wait for a core behind other work on a shared machine (it
     * stands in for other machines). Negative needs CAP_SYS_NICE.
     */
    'peers-priority': { type: 'string' },
    /** The measure at the bridge (tcpdump on lo): required (`--wire`), or left out (`--no-wire`). */
    wire: { type: 'boolean', default: false },
    'no-wire': { type: 'boolean', default: false },
    /** The scheduler's events over the window (ftrace; root): where the held packets waited. */
    'no-sched-trace': { type: 'boolean', default: false },
    /**
     * The calls' peers in this many child processes, each pacing its share on its own event loop
     * (as separate phones and Matrix clients do); 1: all in this process, as before.
     */
    'peer-processes': { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(`npm run bench:sip-media -- [options]   (defaults in brackets; bench/README.md says what each run measures)
  --calls N             concurrent relayed calls [100]
  --seconds N           the measured window [20]
  --setup-rate N        calls set up per second before it [10]
  --no-baseline         skip the same calls peer to peer (no bridge)
  --db-dir DIR          where the bridge's SQLite store goes [the system's temporary folder]
  --threads N           the bridge's media.threads (0: the relays on its main thread)
  --pin                 this process (and Kamailio) on CPU 0, the bridge on CPU 1
  --priority N          the bridge's media.priority, a nice value (negative: CAP_SYS_NICE)
  --realtime N          the bridge's media.realtime, SCHED_RR 1…99 (CAP_SYS_NICE)
  --young-mb N          the bridge's media.young_generation_mb (each media thread's GC)
  --process             media.process: the media threads as child processes
  --worker              media.process: false (worker threads, even with --realtime)
  --peers-priority N    this process's nice value (the phones and Matrix clients)
  --wire | --no-wire    the measure at the bridge (tcpdump on lo): required, or left out
  --no-sched-trace      without the scheduler trace of held packets (ftrace; root)
  --peer-processes N    the calls' peers in N child processes (above 1: with --no-baseline) [1]
Environment: SWITCHBOARD_BENCH_PHASE_PROF=<dir> (a CPU profile of the window),
SWITCHBOARD_BENCH_SCHED_DUMP=<file> (the media thread's states, GC pauses and holds, as JSON).`);
  process.exit(0);
}

/** The calls' peers in this many processes (checked with the options). */
export const peerProcesses = Number(args['peer-processes']);
if (!Number.isInteger(peerProcesses) || peerProcesses < 1)
  throw new Error('--peer-processes: a whole number of processes, 1 or more');
if (peerProcesses > 1 && !args['no-baseline'])
  throw new Error(
    '--peer-processes above 1: add --no-baseline (the baseline runs in this process)',
  );

/**
 * The IRC benchmark: the real bridge with its IRC connector between a real InspIRCd (started
 * here through test/peers/irc.sh, flood limits off on both sides) and the in-memory stand-in
 * homeserver. Measures IRC → Matrix and Matrix → IRC messages/s, latency at a paced rate, and
 * the time and memory of many puppet connections. See bench/README.md.
 *
 *   npm run bench:irc
 *   npm run bench:irc -- --messages 20000 --puppets 1000 --connects 50 --irc-port 26667
 *   npm run bench:irc -- --streams all      (only as Synapse sends: the bridge's own events back)
 *   npm run bench:irc -- --channels 10      (only the ten-channel runs; default 1,10)
 *   npm run bench:irc -- --pin              (this process on CPU 0, the bridge on CPU 1)
 */
import { parseArgs } from 'node:util';
import { ircBench } from './lib/irc-run.js';
import { IrcServer } from './lib/irc-server.js';
import { machine } from './lib/machine.js';
import { tmpdir } from 'node:os';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    // Messages each way before the timed runs (V8 compiles the hot path meanwhile).
    'warm-up': { type: 'string', default: '2000' },
    puppets: { type: 'string', default: '1000' },
    connects: { type: 'string', default: '50' },
    'paced-rate': { type: 'string', default: '500' },
    'paced-seconds': { type: 'string', default: '5' },
    'irc-port': { type: 'string', default: '26667' },
    // all: the bridge's own events come back, as Synapse sends them; others: they do not.
    streams: { type: 'string', default: 'all,others' },
    // The throughput runs' busy channels: one (every line in one room's order) and ten.
    channels: { type: 'string', default: '1,10' },
    // This process (the IRC users and the stand-in homeserver) and the bridge each on a core of
    // their own: whether a run's figures depend on where the scheduler put them.
    pin: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run bench:irc -- [options]   (defaults in brackets; bench/README.md says what each run measures)
  --messages N        messages in each throughput run [10000]
  --warm-up N         messages each way before the timed runs, not timed [2000]
  --puppets N         puppets in the puppet run [1000]
  --connects N        the network's max_concurrent_connects [50]
  --paced-rate N      msg/s of the latency runs [500]
  --paced-seconds N   how long each latency run lasts [5]
  --irc-port N        the benchmark's InspIRCd [26667]
  --streams all,others  the bridge's own events pushed back (all, as Synapse) or not [all,others]
  --channels 1,10     busy channels of the throughput runs [1,10]
  --pin               this process on CPU 0, the bridge on CPU 1`);
  process.exit(0);
}

const log = (line = '') => console.log(line);
const ircPort = Number(args['irc-port']);
const facts = machine(tmpdir());
log(
  `IRC benchmark, ${facts.date}: ${facts.cpuModel} × ${facts.nproc}, Node ${facts.node}, load ${facts.loadAverage.join(' ')}` +
    (args.pin ? '; pinned: this process on CPU 0, the bridge on CPU 1' : ''),
);
const server = await IrcServer.start(ircPort);
try {
  const result = await ircBench(
    {
      ircPort,
      pin: args.pin,
      messages: Number(args.messages),
      warmUp: Number(args['warm-up']),
      puppets: Number(args.puppets),
      connects: Number(args.connects),
      pacedPerSecond: Number(args['paced-rate']),
      pacedSeconds: Number(args['paced-seconds']),
      channels: args.channels.split(',').map((c) => {
        const n = Number(c);
        if (!Number.isInteger(n) || n < 1 || n > 10)
          throw new Error(`--channels: 1 to 10, not ${c}`);
        return n;
      }),
      streams: args.streams.split(',').map((m) => {
        if (m !== 'all' && m !== 'others') throw new Error(`--streams: all or others, not ${m}`);
        return m;
      }),
    },
    log,
  );
  log('--- json ---');
  log(JSON.stringify({ machine: facts, result }, null, 2));
} finally {
  await server.stop();
}
// Done: a socket of the stand-in or of a peer that is still closing must not hold the run open.
process.exit(0);

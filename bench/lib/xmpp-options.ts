/** bench:xmpp's command line: its options, and `--help`, which lists them. */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';

export const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    rate: { type: 'string', default: '500' },
    paced: { type: 'string', default: '1500' },
    speakers: { type: 'string', default: '10' },
    users: { type: 'string', default: '500' },
    port: { type: 'string', default: '16222' },
    // Time each paced XMPP → Matrix message's stages in the bridge (it costs CPU: not for the
    // CPU-per-message figures of the same run).
    stages: { type: 'boolean', default: false },
    // Prosody's Nagle's algorithm (`network_settings.nagle`): off, as the bridge's README advises
    // (on, Prosody's default, holds each stanza for the bridge's delayed ACK: up to 40 ms).
    'prosody-nagle': { type: 'string', default: 'off' },
    // Prosody's writes: `deferred` (its default: a socket is written on the next poll, after the
    // rest of what it read was handled) or `opportunistic` (`network_settings.opportunistic_writes`).
    'prosody-writes': { type: 'string', default: 'deferred' },
    // tcpdump on lo: Prosody's hold of each paced message on the wire (lib/xmpp-wire.ts).
    wire: { type: 'boolean', default: false },
    // Prosody's MUC archive (off: the phases' rates do not fall as it grows; on: messages carry
    // stanza-ids, as with MAM catch-up).
    'muc-archive': { type: 'string', default: 'off' },
    // Prosody alone the way the bridge must use it: a message from a component (no bridge) beside
    // one from a client, in a room of its own with the same population (`--plain off`: skip).
    plain: { type: 'string', default: 'on' },
    // After the paced phases, Matrix → XMPP again while the plain component says as much in its
    // own room, at the same time: both paths under the same load (needs the plain component).
    control: { type: 'boolean', default: false },
    // Prosody alone on CPU 0, everything else of the run (this process, the bridge, Carol) on
    // CPU 1: whether the bridge's hold is Prosody waiting for a core the bridge's side takes.
    pin: { type: 'boolean', default: false },
    // After the memory figure (the `--users` crowd in the MUC), N messages each way again: what
    // Matrix members who never speak cost (each is an occupant the room copies every message to).
    'crowd-messages': { type: 'string', default: '0' },
    // The bridge's `occupants`: `members` (every Matrix user in the room an occupant of the MUC)
    // or `speakers` (only those who sent something: the crowd then stays out of the MUC).
    occupants: { type: 'string', default: 'members' },
    // Where the bridge's SQLite database goes (its log is synced before each transaction's 200).
    'db-dir': { type: 'string', default: tmpdir() },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(`npm run bench:xmpp -- [options]   (defaults in brackets; bench/README.md says what each run measures)
  --messages N          messages in each throughput run [5000]
  --rate N              msg/s of the paced (latency) runs [500]
  --paced N             messages in each paced run [1500]
  --speakers N          Matrix users who speak in the MUC [10]
  --users N             Matrix users entering the MUC after the runs (the memory figure) [500]
  --port N              the benchmark's Prosody client port (component +125, HTTP +58) [16222]
  --stages              time each paced message's stages in the bridge (costs CPU)
  --prosody-nagle on|off   Prosody's Nagle's algorithm [off]
  --prosody-writes deferred|opportunistic   when Prosody writes a socket [deferred]
  --muc-archive on|off  Prosody's MUC archive (on: stanza-ids, as MAM catch-up needs) [off]
  --wire                tcpdump on lo: Prosody's hold of each paced message (needs root)
  --plain on|off        Prosody alone the way the bridge uses it, for the "added" figures [on]
  --control             Matrix → XMPP again beside the plain component, at the same time
  --pin                 Prosody on CPU 0, the rest of the run on CPU 1
  --crowd-messages N    after the memory figure, N messages each way with the crowd in the MUC [0: off]
  --occupants members|speakers   the bridge's bridges.xmpp.occupants [members]
  --db-dir DIR          where the bridge's database goes [the temp dir]`);
  process.exit(0);
}

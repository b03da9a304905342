/**
 * The SIP benchmark: call set-ups through the real bridge (SIP connector, in its own process,
 * registered on a real Kamailio that this script starts with test/peers/sip.sh on ports of its
 * own), with the in-memory stand-in homeserver playing Matrix: each `m.call.invite` the bridge
 * sends is answered at once by the called user's `m.call.answer`. sipp calls the DID at a fixed
 * rate (INVITE → 200 → ACK, a short hold, BYE), from 20 callers (20 DM rooms); its INVITE → 200
 * times are the set-up times. The same sipp run against a sipp answering machine behind the same
 * Kamailio, without the bridge, is the baseline: the difference is what the bridge adds.
 * Signalling only (`media: passthrough`): the relay's media capacity is not measured here.
 *
 *   npm run bench:sip
 *   npm run bench:sip -- --rates 50,100,200 --seconds 5 --hold 500
 *   npm run bench:sip -- --db-dir /dev/shm     # the store on tmpdfs: the same work without fsync
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../test/support/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FakeHomeserver } from '../test/support/fake-homeserver.js';
import { BridgeProcess } from './lib/bridge-handle.js';
import { sqliteTarget } from './lib/databases.js';
import { AS_TOKEN, benchConfig, BOT, DOMAIN, HS_TOKEN } from './lib/identities.js';
import { answerCalls } from './lib/call-answerer.js';
import { machine } from './lib/machine.js';
import { sleep } from './lib/pusher.js';
import { percentile, round } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '50,100,200' },
    seconds: { type: 'string', default: '5' },
    hold: { type: 'string', default: '500' },
    'db-dir': { type: 'string', default: tmpdir() },
  },
});
const rates = String(args.rates).split(',').map(Number);
const seconds = Number(args.seconds);
const hold = Number(args.hold);
const log = (line = '') => console.log(line);
const facts = machine(tmpdir());
log(
  `SIP benchmark, ${facts.date}: ${facts.cpuModel} × ${facts.nproc}, Node ${facts.node}, load ${facts.loadAverage.join(' ')}`,
);

const DID = '+15550001';
const USER = `@bench:${DOMAIN}`;
const ANSWER_SDP =
  'v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=bench\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
  'm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const work = mkdtempSync(join(tmpdir(), 'sb-bench-sip-'));
const sipPort = await freePort();
const wsPort = await freePort();
const peersEnv = {
  ...process.env,
  PEERS_DIR: work,
  SIP_PORT: String(sipPort),
  SIP_WS_PORT: String(wsPort),
};
const scenario = readFileSync(new URL('./sipp/uac-bench.xml', import.meta.url), 'utf8');
writeFileSync(
  join(work, 'callers.csv'),
  ['SEQUENTIAL', ...Array.from({ length: 20 }, (_, i) => `caller${i}`)].join('\n') + '\n',
);

interface SippRun {
  ok: number;
  failed: number;
  setupMs: number[];
  /** From the first 200 to the last (sipp's rtt trace dates). */
  spanSeconds: number;
}

/** One sipp caller run: `calls` calls at `rate` per second to `service`@`host` via Kamailio. */
async function callers(name: string, host: string, rate: number, calls: number): Promise<SippRun> {
  const dir = mkdtempSync(join(work, `${name}-`));
  const file = join(dir, 'uac-bench.xml');
  writeFileSync(
    file,
    scenario
      .replaceAll('{{host}}', host)
      .replaceAll('{{hold}}', String(hold))
      .replaceAll('"Bob Caller" <sip:bob@localhost>', '<sip:[field0]@localhost>'),
  );
  const child = spawn(
    'sipp',
    [
      ...['-sf', file, '-inf', join(work, 'callers.csv'), '-s', DID],
      ...['-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await freePort())],
      ...['-r', String(rate), '-m', String(calls), '-l', String(rate * 10)],
      ...[
        '-nostdin',
        '-timeout',
        '120',
        '-trace_rtt',
        '-rtt_freq',
        '1',
        '-trace_stat',
        '-stf',
        join(dir, 'stat.csv'),
      ],
      `127.0.0.1:${sipPort}`,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise((resolve) => child.on('exit', resolve));
  const stat = readFileSync(join(dir, 'stat.csv'), 'utf8').trim().split('\n');
  const head = stat[0]!.split(';');
  const last = stat[stat.length - 1]!.split(';');
  const col = (n: string) => Number(last[head.indexOf(n)]);
  const rtt = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
  const rows = rtt
    ? readFileSync(join(dir, rtt), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(';').map(Number))
        .filter(([at, ms]) => Number.isFinite(at) && Number.isFinite(ms))
    : [];
  const setupMs = rows.map((r) => r[1]!);
  const dates = rows.map((r) => r[0]!);
  const spanSeconds = dates.length > 1 ? (Math.max(...dates) - Math.min(...dates)) / 1000 : 0;
  if (!setupMs.length) log(`  (sipp said: ${err.trim().split('\n').slice(-3).join(' | ')})`);
  return { ok: col('SuccessfulCall(C)'), failed: col('FailedCall(C)'), setupMs, spanSeconds };
}

const describe = (label: string, r: SippRun, rate: number) => {
  const sorted = [...r.setupMs].sort((a, b) => a - b);
  const cps = r.setupMs.length > 1 ? (r.setupMs.length - 1) / r.spanSeconds : 0;
  log(
    `${label.padEnd(16)} ${rate} cps asked: ${r.ok} ok, ${r.failed} failed, ≈${round(cps)} set-ups/s; ` +
      `INVITE → 200 p50 ${round(percentile(sorted, 50), 1)} ms, p99 ${round(percentile(sorted, 99), 1)} ms`,
  );
  return {
    rate,
    ...r,
    setupMs: undefined,
    cps,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
};

execFileSync('bash', ['test/peers/sip.sh', 'start'], { env: peersEnv, stdio: 'inherit' });
const hs = await FakeHomeserver.start({
  serverName: DOMAIN,
  asToken: AS_TOKEN,
  hsToken: HS_TOKEN,
  senderLocalpart: BOT,
  userNamespace: new RegExp(`^@sip_.*:${DOMAIN}$`),
  recordRequests: false,
});
hs.addUser(USER, { displayname: 'Bench' });
const database = await sqliteTarget(String(args['db-dir'])).fresh();
const bridge = new BridgeProcess();
// The baseline's answering machine (INVITE → 180 → 200 at once, ACK, BYE → 200).
const uasPort = await freePort();
const uas = spawn(
  'sipp',
  [
    ...['-sf', fileURLToPath(new URL('./sipp/uas-bench.xml', import.meta.url))],
    ...['-i', '127.0.0.1', '-p', String(uasPort), '-mp', String(await freePort()), '-nostdin'],
  ],
  { stdio: 'ignore' },
);
const results: unknown[] = [];
try {
  // The called user answers each call at once (joining the DM the first time).
  answerCalls(hs, USER, () => ANSWER_SDP, log);
  const { port } = await bridge.ask(
    {
      type: 'start',
      connector: 'sip',
      config: {
        ...benchConfig(hs.url, database.url),
        bridges: {
          sip: {
            enabled: true,
            server: `ws://127.0.0.1:${wsPort}`,
            domain: 'localhost',
            account: { username: 'switchboard', password: 'switchboardpw' },
            dids: { [DID]: USER },
            media: { mode: 'passthrough' },
            max_calls: { total: 5000, per_user: 5000 },
          },
        },
      },
    },
    'ready',
    120_000,
  );
  hs.appserviceUrl = `http://127.0.0.1:${port}`;
  // Registered, and each caller's DM made: one call from each caller, until they all go through.
  for (let attempt = 0; ; attempt++) {
    const warm = await callers('warm', 'localhost', 10, 20);
    if (warm.ok === 20) break;
    if (attempt > 10) throw new Error(`the warm-up calls fail: ${warm.ok} of 20`);
    await sleep(1000);
  }
  for (const rate of rates) {
    const calls = rate * seconds;
    const direct = await callers(`direct-${rate}`, `127.0.0.1:${uasPort}`, rate, calls);
    results.push({ through: 'sipp only', ...describe('sipp only', direct, rate) });
    await bridge.ask({ type: 'mark' }, 'marked');
    const bridged = await callers(`bridge-${rate}`, 'localhost', rate, calls);
    const stats = await bridge.ask({ type: 'stats' }, 'stats');
    // The bridge's CPU for each call: its set-up, the short hold and its hangup.
    const cpuMsPerCall = stats.cpuMs / Math.max(1, bridged.ok);
    log(
      `${''.padEnd(16)} bridge CPU ${round(cpuMsPerCall, 2)} ms per call; event loop delay p99 ${round(stats.loopDelayMs.p99, 1)} ms`,
    );
    results.push({
      through: 'bridge',
      ...describe('through the bridge', bridged, rate),
      bridgeCpuMs: stats.cpuMs,
      cpuMsPerCall,
    });
  }
} finally {
  uas.kill();
  await bridge.stop();
  await hs.close();
  execFileSync('bash', ['test/peers/sip.sh', 'stop'], { env: peersEnv, stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
  await database.cleanup();
}
log('--- json ---');
log(JSON.stringify({ machine: facts, hold, seconds, results }, null, 2));

/**
 * The email benchmark: the real bridge (email connector, in its own process) between real
 * Dovecot + OpenSMTPD (test/peers/mail.sh, in a state folder of its own) and the in-memory
 * stand-in homeserver. Measured in one run:
 * - Dovecot's own FETCH rate: every source of the waiting mails in one FETCH (imapflow), the
 *   ceiling the bridge's catch-up reads through;
 * - catch-up: mails/s bridged from a folder with `--waiting` mails that came while the bridge
 *   was down (from the start of the bridge process to the last one at the homeserver);
 * - live delivery: `--live` mails handed to Dovecot over LMTP at `--live-rate`/s, the time from
 *   LMTP's 250 to the Matrix event at the homeserver (IDLE → FETCH → parse → store → send);
 * - out: `--out` Matrix messages (new mails) → SMTP submission to OpenSMTPD → LMTP → the
 *   recipient's folder: mails/s until the last is in that folder;
 * - memory per watched mailbox: the heap (after a full GC) of a bridge watching `--mailboxes`
 *   mailboxes less one watching one, per mailbox.
 *
 *   npm run bench:email
 *   npm run bench:email -- --waiting 2000 --live 100 --out 100 --mailboxes 20
 */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';
import { FakeHomeserver } from '../test/support/fake-homeserver.js';
import { BridgeProcess } from './lib/bridge-handle.js';
import { sqliteTarget } from './lib/databases.js';
import { AS_TOKEN, benchConfig, BOT, DOMAIN, HS_TOKEN } from './lib/identities.js';
import { machine } from './lib/machine.js';
import { MailServer } from './lib/mail-server.js';
import { pace, push, sleep, waitUntil } from './lib/pusher.js';
import { MB, percentile, round } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    waiting: { type: 'string', default: '10000' },
    live: { type: 'string', default: '200' },
    'live-rate': { type: 'string', default: '20' },
    out: { type: 'string', default: '300' },
    mailboxes: { type: 'string', default: '50' },
  },
});
const waiting = Number(args.waiting);
const live = Number(args.live);
const liveRate = Number(args['live-rate']);
const outCount = Number(args.out);
const mailboxCount = Number(args.mailboxes);
const log = (line = '') => console.log(line);
const facts = machine(tmpdir());
log(
  `Email benchmark, ${facts.date}: ${facts.cpuModel} × ${facts.nproc}, Node ${facts.node}, load ${facts.loadAverage.join(' ')}`,
);

const run = Date.now().toString(36);
const mail = await MailServer.start();
const hs = await FakeHomeserver.start({
  serverName: DOMAIN,
  asToken: AS_TOKEN,
  hsToken: HS_TOKEN,
  senderLocalpart: BOT,
  userNamespace: new RegExp(`^@email_.*:${DOMAIN}$`),
  recordRequests: false,
});

const imap = async (user: string) => {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: mail.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: `${user}pw` },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
};
const mailbox = (folder: string) => ({
  address: 'bridge@localhost',
  imap: {
    host: '127.0.0.1',
    port: mail.imapPort,
    tls: 'none',
    user: 'bridge',
    password: 'bridgepw',
  },
  smtp: { host: '127.0.0.1', port: mail.smtpPort, tls: 'none' },
  // Public: the benchmark's Matrix user joins the room.
  folders: [{ folder, join_rule: 'public' }],
});
const config = (database: string, mailboxes: Record<string, unknown>) => ({
  ...benchConfig(hs.url, database),
    bridges: { email: { enabled: true, bounce_wait_ms: 0, mailboxes } },
});
const startBridge = async (database: string, mailboxes: Record<string, unknown>) => {
  const bridge = new BridgeProcess();
  const { port } = await bridge.ask(
    { type: 'start', connector: 'email', config: config(database, mailboxes) },
    'ready',
    600_000,
  );
  hs.appserviceUrl = `http://127.0.0.1:${port}`;
  return bridge;
};
const message = (n: number, kind: string) =>
  [
    `From: "Sender ${n % 10}" <sender${n % 10}@example.org>`,
    'To: bridge@localhost',
    `Subject: ${kind} ${n}`,
    `Message-ID: <${kind}-${n}-${run}@bench.example>`,
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `This is ${kind} mail ${n} of the benchmark. mark-${kind}-${n}`,
    '',
  ].join('\r\n');

// Arrivals of bridged mails at the homeserver, by their mark.
const arrivals = new Map<string, number>();
const append = hs.world.append.bind(hs.world);
hs.world.append = (room, fields, ts) => {
  const ev = append(room, fields, ts);
  if (fields.type === 'm.room.message' && fields.sender.startsWith('@email_')) {
    const mark = /mark-(\w+-\d+)/.exec(String(fields.content.body))?.[1];
    if (mark) arrivals.set(mark, performance.now());
  }
  return ev;
};
const latency = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `p50 ${round(percentile(sorted, 50), 1)} ms, p99 ${round(percentile(sorted, 99), 1)} ms, max ${round(sorted.at(-1) ?? 0, 1)} ms`;
};

const folder = `bench${run}`;
const outFolder = `out${run}`;
const database = await sqliteTarget(tmpdir()).fresh();
const memDatabases = [await sqliteTarget(tmpdir()).fresh(), await sqliteTarget(tmpdir()).fresh()];
let bridge: BridgeProcess | undefined;
try {
  const admin = await imap('bridge');
  await admin.mailboxCreate(folder);
  for (let i = 0; i < mailboxCount; i++) await admin.mailboxCreate(`mem${run}-${i}`);
  const setupBob = await imap('bob');
  await setupBob.mailboxCreate(outFolder);
  await setupBob.logout();

  // The folder is known to the bridge (its progress stored), then the bridge is down.
  bridge = await startBridge(database.url, { bench: mailbox(folder) });
  await bridge.stop();
  bridge = undefined;

  // Mail arrives while it is down.
  let started = performance.now();
  for (let n = 0; n < waiting; n++) await admin.append(folder, message(n, 'wait'), []);
  log(
    `setup: ${waiting} mails appended (IMAP APPEND) in ${round((performance.now() - started) / 1000, 1)} s`,
  );

  // Dovecot's own FETCH rate, the same sources the catch-up reads.
  await admin.mailboxOpen(folder);
  started = performance.now();
  let fetched = 0;
  for await (const m of admin.fetch('1:*', { uid: true, source: true })) if (m.source) fetched++;
  const fetchSeconds = (performance.now() - started) / 1000;
  await admin.mailboxClose();
  log(
    `Dovecot FETCH (imapflow, one FETCH 1:* BODY[]): ${fetched} mails in ${round(fetchSeconds, 2)} s = ${round(fetched / fetchSeconds)} mails/s`,
  );

  // Catch-up: the bridge starts with the mails waiting.
  started = performance.now();
  bridge = await startBridge(database.url, { bench: mailbox(folder) });
  const readyAt = performance.now();
  await waitUntil(() => arrivals.size >= waiting, 1_800_000, 'the catch-up');
  const lastAt = Math.max(...arrivals.values());
  const catchUpSeconds = (lastAt - started) / 1000;
  log(
    `catch-up: ${waiting} waiting mails bridged in ${round(catchUpSeconds, 2)} s = ${round(waiting / catchUpSeconds)} mails/s ` +
      `(process start to the last Matrix event; 'ready' after ${round((readyAt - started) / 1000, 2)} s)`,
  );

  // Live delivery: LMTP → Dovecot → IDLE → the bridge → the homeserver.
  const lmtp = createTransport({
    host: '127.0.0.1',
    port: mail.lmtpPort,
    lmtp: true,
    ignoreTLS: true,
  });
  const delivered = new Map<string, number>();
  await pace(live, liveRate, async (from, to) => {
    for (let n = from; n < to; n++) {
      await lmtp.sendMail({
        envelope: { from: `sender${n % 10}@example.org`, to: [`bridge+${folder}@localhost`] },
        raw: message(n, 'live'),
      });
      delivered.set(`live-${n}`, performance.now());
    }
  });
  await waitUntil(
    () => [...delivered.keys()].every((k) => arrivals.has(k)),
    120_000,
    'live delivery',
  );
  lmtp.close();
  log(
    `live delivery at ${liveRate} mails/s (LMTP 250 → Matrix event): ${latency([...delivered].map(([k, at]) => arrivals.get(k)! - at))}`,
  );

  // Out: Matrix messages → new mails through OpenSMTPD into bob's folder.
  const alias = `#email_bench:${DOMAIN}`;
  const res = await fetch(`${hs.appserviceUrl}/_matrix/app/v1/rooms/${encodeURIComponent(alias)}`, {
    headers: { authorization: `Bearer ${HS_TOKEN}` },
  });
  const roomId = hs.world.aliases.get(alias);
  if (res.status !== 200 || !roomId) throw new Error(`alias ${alias}: ${res.status}`);
  const user = `@writer:${DOMAIN}`;
  hs.addUser(user, { displayname: 'Writer' });
  hs.join(roomId, user);
  await push(
    hs,
    hs.events(roomId).filter((e) => e.type === 'm.room.member' && e.state_key === user),
  );
  // A connection of its own now: one left idle through the catch-up may have been closed.
  const bob = await imap('bob');
  await bridge.ask({ type: 'mark' }, 'marked');
  const events = Array.from({ length: outCount }, (_, n) =>
    hs.send(roomId, user, {
      msgtype: 'm.text',
      body: `To: bob+${outFolder}@localhost\nSubject: Out ${n}\nmail ${n} from Matrix`,
    }),
  );
  started = performance.now();
  for (let i = 0; i < events.length; i += 50) await push(hs, events.slice(i, i + 50));
  let inFolder = 0;
  const end = performance.now() + 600_000;
  while (inFolder < outCount && performance.now() < end) {
    const status = await bob.status(outFolder, { messages: true });
    inFolder = (status && status.messages) || 0;
    if (inFolder < outCount) await sleep(100);
  }
  const outSeconds = (performance.now() - started) / 1000;
  const stats = await bridge.ask({ type: 'stats' }, 'stats');
  log(
    `out: ${inFolder}/${outCount} mails from Matrix in the recipient's folder in ${round(outSeconds, 2)} s = ${round(inFolder / outSeconds, 1)} mails/s ` +
      `(the bridge's own send: p50 ${stats.bridgeLatencyMs.to_network.p50} ms, p99 ${stats.bridgeLatencyMs.to_network.p99} ms over ${stats.bridgeLatencyMs.to_network.count})`,
  );
  await bridge.stop();
  bridge = undefined;
  await admin.logout().catch(() => undefined);
  await bob.logout();

  // Memory per watched mailbox: one mailbox, then `mailboxCount`, each watching a folder.
  const heapWith = async (count: number, db: string) => {
    const boxes = Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`mem${i}`, mailbox(`mem${run}-${i}`)]),
    );
    const b = await startBridge(db, boxes);
    await sleep(3000); // every folder open and in IDLE
    const m = await b.ask({ type: 'memory' }, 'memory', 60_000);
    await b.stop();
    return m;
  };
  const one = await heapWith(1, memDatabases[0]!.url);
  const many = await heapWith(mailboxCount, memDatabases[1]!.url);
  log(
    `memory: ${round((many.heapUsedBytes - one.heapUsedBytes) / (mailboxCount - 1) / 1024, 1)} KiB heap per watched mailbox ` +
      `(heap ${round(one.heapUsedBytes / MB, 1)} MB with 1, ${round(many.heapUsedBytes / MB, 1)} MB with ${mailboxCount}; ` +
      `RSS ${round(one.rssBytes / MB)} → ${round(many.rssBytes / MB)} MB)`,
  );
} finally {
  await bridge?.stop();
  await hs.close();
  await mail.stop();
  for (const db of [database, ...memDatabases]) await db.cleanup();
}

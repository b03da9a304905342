/**
 * The IRC connection pool (`IrcPool`, as `switchboard irc-pool` runs it) in a child process of its
 * own for the restart benchmark, as in production: it must not share a thread with the stand-in
 * homeserver and the IRC listener of the benchmark's process. Driven over IPC:
 *   {type:'start', redis, prefix} → {type:'ready'};  {type:'cpu'} → {type:'cpu', cpuMs} (since start);
 *   {type:'stop'} → its connections quit → {type:'stopped'}, then exits.
 */
import { pino } from 'pino';
import { IrcPool } from '../bridges/irc/pool/pool-server.js';

export type ToPool =
  { type: 'start'; redis: string; prefix: string } | { type: 'cpu' } | { type: 'stop' };
export type FromPool =
  | { type: 'ready' }
  | { type: 'cpu'; cpuMs: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

const send = (msg: FromPool) => process.send?.(msg);
let pool: IrcPool | undefined;
let cpuStart = process.cpuUsage();

process.on('message', (msg: ToPool) => {
  void (async () => {
    switch (msg.type) {
      case 'start':
        pool = new IrcPool({
          redis: msg.redis,
          prefix: msg.prefix,
          log: pino({ level: 'silent' }),
        });
        await pool.start();
        cpuStart = process.cpuUsage();
        send({ type: 'ready' });
        return;
      case 'cpu': {
        const cpu = process.cpuUsage(cpuStart);
        send({ type: 'cpu', cpuMs: (cpu.user + cpu.system) / 1000 });
        return;
      }
      case 'stop':
        await pool?.stop();
        send({ type: 'stopped' });
        setTimeout(() => process.exit(0), 100);
        return;
    }
  })().catch((err: unknown) => send({ type: 'error', message: String(err) }));
});

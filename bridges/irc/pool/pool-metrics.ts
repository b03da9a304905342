/**
 * The pool process's own metrics (it runs without the bridge, so with a registry of its own):
 * `switchboard_irc_pool_*` on its HTTP port's /metrics, with Node's process metrics.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { POOL_PROTOCOL_VERSION } from './protocol.js';

export interface PoolMetrics {
  registry: Registry;
  lines: Counter<'direction'>;
  commands: Counter<'type'>;
  refused: Counter;
  identAnswers: Counter<'answer'>;
}

export function poolMetrics(
  counts: () => { registered: number; connecting: number },
  eventsWaiting: () => Promise<number>,
): PoolMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_irc_pool_' });
  new Gauge({
    name: 'switchboard_irc_pool_connections',
    help: 'IRC connections held by the pool, by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const c = counts();
      this.set({ state: 'registered' }, c.registered);
      this.set({ state: 'connecting' }, c.connecting);
    },
  });
  new Gauge({
    name: 'switchboard_irc_pool_events_waiting',
    help: 'Events from IRC in the stream that the bridge has not acknowledged yet',
    registers: [registry],
    async collect() {
      this.set(await eventsWaiting().catch(() => 0));
    },
  });
  new Gauge({
    name: 'switchboard_irc_pool_protocol_version',
    help: 'The pool protocol version this pool speaks',
    registers: [registry],
    collect() {
      this.set(POOL_PROTOCOL_VERSION);
    },
  });
  return {
    registry,
    lines: new Counter({
      name: 'switchboard_irc_pool_lines_total',
      help: 'IRC lines relayed, by direction (from_irc, to_irc)',
      labelNames: ['direction'],
      registers: [registry],
    }),
    commands: new Counter({
      name: 'switchboard_irc_pool_commands_total',
      help: 'Bridge commands handled, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'switchboard_irc_pool_refused_total',
      help: 'Bridge commands refused (another protocol version, malformed)',
      registers: [registry],
    }),
    identAnswers: new Counter({
      name: 'switchboard_irc_pool_ident_answers_total',
      help: 'Ident (RFC 1413) queries answered by the pool, by answer (userid, no-user, invalid-port)',
      labelNames: ['answer'],
      registers: [registry],
    }),
  };
}

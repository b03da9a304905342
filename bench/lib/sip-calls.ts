/**
 * The SIP side of the SIP media benchmark: its settings, the bridge's `bridges.sip` config, and the
 * phones' calls placed through Kamailio (one sip.js user agent, INVITEs need no auth on the test
 * Kamailio; each call's SDP from the handler `phone()` gives).
 */
import '../../bridges/sip/signalling/connection.js'; // gives sip.js its WebSocket (ws)
import {
  Inviter,
  SessionState,
  UserAgent,
  type Session,
  type SessionDescriptionHandler,
} from 'sip.js';
import { sleep } from './pusher.js';

/** The media options of the command line, as the bridge's `media` keys. */
export interface MediaOptions {
  threads?: string;
  priority?: string;
  realtime?: string;
  'young-mb'?: string;
  process?: boolean;
  /** `media.process: false` said outright (with `realtime` the bridge's default is processes). */
  worker?: boolean;
}

/** The run's settings beside the bridge's (the peers' placement and priority). */
export interface RunOptions extends MediaOptions {
  pin?: boolean;
  'peers-priority'?: string;
}

/** One line: the calls, and every setting that is not the default. */
export function describeSettings(n: number, seconds: number, o: RunOptions, peerProcesses: number) {
  return (
    `${n} calls, 50 packets/s each way, ${seconds} s measured` +
    (o.pin ? '; PINNED: this process and Kamailio on CPU 0, the bridge on CPU 1' : '; unpinned') +
    (o.priority !== undefined ? `; media.priority ${o.priority}` : '') +
    (o.realtime !== undefined ? `; media.realtime ${o.realtime} (SCHED_RR)` : '') +
    (o['young-mb'] !== undefined ? `; media.young_generation_mb ${o['young-mb']}` : '') +
    (o.process ? '; media.process (child processes, single-threaded GC)' : '') +
    (o.worker ? '; media.process false (worker threads)' : '') +
    (o['peers-priority'] !== undefined
      ? `; this process (the peers) at nice ${o['peers-priority']}`
      : '') +
    (peerProcesses > 1
      ? `; the peers in ${peerProcesses} child processes (pinned as this one)`
      : '')
  );
}

/** The same settings in the JSON. */
export function settingsJson(o: RunOptions) {
  return {
    threads: o.threads ?? 'default',
    pinned: o.pin,
    priority: o.priority ?? 'default',
    realtime: o.realtime ?? 'none',
    youngGenerationMb: o['young-mb'] ?? 'default',
    mediaProcess: o.process ? true : o.worker ? false : 'default',
    peersPriority: o['peers-priority'] ?? 'default',
  };
}

export function sipBridgeConfig(wsPort: number, did: string, user: string, o: MediaOptions) {
  return {
    enabled: true,
    server: `ws://127.0.0.1:${wsPort}`,
    domain: 'localhost',
    account: { username: 'switchboard', password: 'switchboardpw' },
    dids: { [did]: user },
    media: {
      mode: 'relay',
      rtp_bind_address: '127.0.0.1',
      ...(o.threads !== undefined ? { threads: Number(o.threads) } : {}),
      ...(o.priority !== undefined ? { priority: Number(o.priority) } : {}),
      ...(o.realtime !== undefined ? { realtime: Number(o.realtime) } : {}),
      ...(o['young-mb'] !== undefined ? { young_generation_mb: Number(o['young-mb']) } : {}),
      ...(o.process ? { process: true } : o.worker ? { process: false } : {}),
    },
    max_calls: { total: 5000, per_user: 5000 },
  };
}

/** The phones' user agent, started. */
export async function phoneAgent(
  wsPort: number,
  phone: () => SessionDescriptionHandler,
): Promise<UserAgent> {
  const ua = new UserAgent({
    uri: UserAgent.makeURI('sip:alice@localhost')!,
    transportOptions: { server: `ws://127.0.0.1:${wsPort}` },
    logLevel: 'error',
    logBuiltinEnabled: false,
    sessionDescriptionHandlerFactory: phone,
  });
  await ua.start();
  return ua;
}

/**
 * `n` calls to `did` at `rate` a second from `callers` callers (that many DM rooms), each
 * established one in `sessions`; a call the bridge refuses (not registered yet, busy) is tried
 * again, five times.
 */
export async function placeCalls(
  ua: UserAgent,
  o: { n: number; rate: number; did: string; callers: number },
  sessions: Session[],
): Promise<void> {
  const call = async (i: number) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const inviter = new Inviter(ua, UserAgent.makeURI(`sip:${o.did}@localhost`)!, {
        params: { fromUri: `sip:caller${i % o.callers}@localhost` },
      });
      const established = new Promise<boolean>((resolve) =>
        inviter.stateChange.addListener((s) => {
          if (s === SessionState.Established) resolve(true);
          if (s === SessionState.Terminated) resolve(false);
        }),
      );
      await inviter.invite();
      if (await established) {
        sessions.push(inviter);
        return;
      }
      await sleep(1000);
    }
    throw new Error(`call ${i} never went through`);
  };
  const setups: Promise<void>[] = [];
  for (let i = 0; i < o.n; i++) {
    setups.push(call(i));
    await sleep(1000 / o.rate);
  }
  await Promise.all(setups);
}

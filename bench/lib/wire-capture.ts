/**
 * A capture of the RTP on the loopback interface with tcpdump, for the SIP media benchmark's
 * measure at the bridge (wire-hold.ts): kernel timestamps (`-j host`: the only type `lo` has,
 * taken by the kernel as each datagram passes it, in the sender's send call), in microseconds, a
 * 64 MiB kernel buffer (`-B`), only the first 96 bytes of each datagram (the RTP header is in the
 * clear in SRTP too), and only RTP: a UDP payload (IPv4 or IPv6) of version 2 whose payload type is not RTCP's
 * (no STUN, DTLS or RTCP). The kernel's drop count is read from tcpdump's own last words: a
 * capture that dropped packets is told, never silently used.
 *
 * Linux only; needs tcpdump (installed here with apt-get when missing and root, as the peer
 * scripts install servers) and CAP_NET_RAW. Each missing piece is an error that says how to get
 * it or names `--no-wire`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { snapshot } from './threads.js';
import { byKey, RtpLineParser, type WirePacket } from './wire-hold.js';

/** RTP over UDP, IPv4 or IPv6 (no extension headers: loopback datagrams have none). */
const FILTER =
  '(udp and (udp[8] & 0xc0) = 0x80 and (udp[9] & 0x7f) < 72) or ' +
  '(ip6 and ip6[6] = 17 and (ip6[48] & 0xc0) = 0x80 and (ip6[49] & 0x7f) < 72)';
const NO_WIRE = 'or run the benchmark with --no-wire (the end-to-end figures only)';

/** What tcpdump said it did: packets written, seen by the filter, dropped by the kernel. */
export interface CaptureCounts {
  captured: number;
  received: number;
  dropped: number;
  /** tcpdump's own CPU over the capture (ms): it shares the machine with what it measures. */
  cpuMs: number;
}

/** tcpdump, installed when missing (apt-get, as root), or an error saying how to get it. */
export function ensureTcpdump(repo: string): string {
  const found = () => {
    try {
      return execFileSync('tcpdump', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
    } catch {
      return undefined;
    }
  };
  const version = found();
  if (version) return version;
  if (process.platform !== 'linux')
    throw new Error(`the wire measurement is Linux only: ${NO_WIRE}`);
  try {
    // The peer scripts' installer (apt-get with a lock timeout, update only when needed).
    execFileSync(
      'bash',
      ['-c', `source "${join(repo, 'test/peers/lib.sh')}" && apt_ensure tcpdump`],
      {
        stdio: 'inherit',
        env: { ...process.env, PEERS_DIR: process.env.PEERS_DIR ?? join(repo, '.peers') },
      },
    );
  } catch {
    throw new Error(
      `tcpdump is missing and could not be installed: apt-get install tcpdump (as root), ${NO_WIRE}`,
    );
  }
  return found() ?? 'tcpdump';
}

export class WireCapture {
  private constructor(
    private readonly child: ChildProcess,
    readonly file: string,
    private readonly stderr: () => string,
  ) {}

  /**
   * Starts capturing on `lo` into `dir`; resolves once tcpdump listens. By default the RTP
   * headers (96 bytes of each datagram); `what` captures other packets (`snaplen` 0: whole).
   */
  static async start(
    dir: string,
    what: { name: string; snaplen: number; filter: string } = {
      name: 'rtp.pcap',
      snaplen: 96,
      filter: FILTER,
    },
  ): Promise<WireCapture> {
    const file = join(dir, what.name);
    const child = spawn(
      'tcpdump',
      [
        '-i',
        'lo',
        '-n',
        '-B',
        '65536',
        '-s',
        String(what.snaplen),
        '-j',
        'host',
        '--time-stamp-precision=micro',
        '-w',
        file,
        what.filter,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let text = '';
    child.stderr!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`tcpdump did not start: ${text.trim()}`)),
        10_000,
      );
      child.stderr!.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`tcpdump: ${err.message}; ${NO_WIRE}`));
      });
      child.once('exit', () => {
        clearTimeout(timer);
        const why = /permitted|permission/i.test(text)
          ? `capturing on lo needs CAP_NET_RAW (run as root, or setcap cap_net_raw+ep on tcpdump), ${NO_WIRE}`
          : NO_WIRE;
        reject(new Error(`tcpdump stopped: ${text.trim()}; ${why}`));
      });
    });
    return new WireCapture(child, file, () => text);
  }

  /**
   * Stops it (after the kernel's buffer blocks are handed over: they are retired once a second)
   * and reads tcpdump's counts.
   */
  async stop(): Promise<CaptureCounts> {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    let cpuMs = NaN;
    for (const t of snapshot(this.child.pid ?? -1).values())
      cpuMs = (Number.isNaN(cpuMs) ? 0 : cpuMs) + t.cpuNs / 1e6;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGINT');
      await exited;
    }
    const text = this.stderr();
    const count = (what: string) => {
      const m = new RegExp(`(\\d+) packets? ${what}`).exec(text);
      if (!m) throw new Error(`tcpdump did not say how many packets ${what}: ${text.trim()}`);
      return Number(m[1]);
    };
    return {
      captured: count('captured'),
      received: count('received by filter'),
      dropped: count('dropped by kernel'),
      cpuMs,
    };
  }

  /** Ends it at once (the benchmark failed: no counts wanted). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
  }

  /** The capture's RTP datagrams by name (`tcpdump -r -T rtp` decodes the headers). */
  async read(): Promise<Map<number, WirePacket>> {
    const child = spawn('tcpdump', ['-r', this.file, '-n', '-tt', '-v', '-T', 'rtp'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const parser = new RtpLineParser();
    const packets: WirePacket[] = [];
    for await (const line of createInterface({ input: child.stdout! })) {
      const p = parser.line(line);
      if (p) packets.push(p);
    }
    return byKey(packets);
  }
}

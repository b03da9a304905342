import { readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { sipConfigSchema } from '../config.js';
import { RelayPool } from './relay-pool.js';
import { readFileSync } from 'node:fs';
import { osThreadId, threadScheduling } from './thread-priority.js';

const log = pino({ level: 'silent' });
const linux = process.platform === 'linux';
/** CAP_SYS_NICE (bit 23) in this process's effective set: what SCHED_RR needs. */
const sysNice =
  linux &&
  (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) &
    (1n << 23n)) !==
    0n;

describe('media.priority', () => {
  it.runIf(linux)(
    'gives each media thread its nice value, and only them',
    async () => {
      expect(osThreadId()).toBe(process.pid); // the main thread's tid is the pid
      const mainBefore = getPriority(process.pid);
      const pool = new RelayPool({ bindAddress: '127.0.0.1', iceServers: [] }, 2, log, 7);
      try {
        await pool.start();
        const threads = await pool.loopDelay(false);
        expect(threads).toHaveLength(2);
        for (const t of threads) {
          expect(t.tid).toBeTypeOf('number');
          expect(t.tid).not.toBe(process.pid);
          expect(getPriority(t.tid)).toBe(7);
        }
        expect(getPriority(process.pid)).toBe(mainBefore);
      } finally {
        await pool.stop();
      }
    },
    30_000,
  );

  it.runIf(linux)(
    'a priority the thread cannot take stops the start, naming the key',
    async () => {
      // Out of the kernel's range here; without CAP_SYS_NICE a negative one fails the same way.
      const pool = new RelayPool({ bindAddress: '127.0.0.1', iceServers: [] }, 1, log, 100);
      try {
        await expect(pool.start()).rejects.toThrow(
          /media\.priority 100: the media thread \(tid \d+\)/,
        );
      } finally {
        await pool.stop();
      }
    },
    30_000,
  );

  it('needs media threads', () => {
    const base = { server: 'wss://sip.example.org', account: { username: 'u', password: 'p' } };
    const bad = sipConfigSchema.safeParse({ ...base, media: { threads: 0, priority: -5 } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/media.priority applies to media threads/);
    const ok = sipConfigSchema.safeParse({ ...base, media: { threads: 1, priority: -5 } });
    expect(ok.success).toBe(true);
    const range = sipConfigSchema.safeParse({ ...base, media: { priority: -21 } });
    expect(range.success).toBe(false);
  });
});

describe('media.realtime', () => {
  it('runs the media threads as processes unless media.process: false says otherwise', () => {
    const base = { server: 'wss://sip.example.org', account: { username: 'u', password: 'p' } };
    const media = (m: object) => sipConfigSchema.parse({ ...base, media: m }).media.process;
    expect(media({ realtime: 10 })).toBe(true);
    expect(media({ realtime: 10, process: false })).toBe(false);
    expect(media({})).toBe(false);
    expect(media({ priority: 5 })).toBe(false);
    const none = sipConfigSchema.safeParse({ ...base, media: { threads: 0, realtime: 10 } });
    expect(none.error?.issues.map((i) => i.message)).toEqual([
      'media.realtime applies to media threads: with threads: 0 there are none (set threads ≥ 1 or remove realtime)',
    ]);
  });

  it.runIf(sysNice)(
    'gives each media thread SCHED_RR at its priority, and only them',
    async () => {
      const pool = new RelayPool(
        { bindAddress: '127.0.0.1', iceServers: [] },
        2,
        log,
        undefined,
        3,
      );
      try {
        await pool.start();
        const threads = await pool.loopDelay(false);
        expect(threads).toHaveLength(2);
        for (const t of threads)
          expect(threadScheduling(t.tid!)).toEqual({ policy: 2, rtPriority: 3 });
        expect(threadScheduling(process.pid)).toEqual({ policy: 0, rtPriority: 0 });
      } finally {
        await pool.stop();
      }
    },
    30_000,
  );

  it.runIf(sysNice)(
    'media.process: its media thread at the priority, its other threads one below, the bridge untouched',
    async () => {
      const pool = new RelayPool(
        { bindAddress: '127.0.0.1', iceServers: [] },
        1,
        log,
        undefined,
        3,
        undefined,
        true,
      );
      try {
        await pool.start();
        const [t] = await pool.loopDelay(false);
        expect(threadScheduling(t!.tid!, t!.pid)).toEqual({ policy: 2, rtPriority: 3 });
        const others = readdirSync(`/proc/${t!.pid}/task`)
          .map(Number)
          .filter((tid) => tid !== t!.tid);
        expect(others.length).toBeGreaterThan(0);
        for (const tid of others)
          expect(threadScheduling(tid, t!.pid)).toEqual({ policy: 2, rtPriority: 2 });
        expect(threadScheduling(process.pid)).toEqual({ policy: 0, rtPriority: 0 });
      } finally {
        await pool.stop();
      }
    },
    30_000,
  );

  it.runIf(linux)(
    'a media process that cannot take its priority stops the start, naming the key and the fix',
    async () => {
      const pool = new RelayPool(
        { bindAddress: '127.0.0.1', iceServers: [] },
        1,
        log,
        undefined,
        100,
        undefined,
        true,
      );
      try {
        await expect(pool.start()).rejects.toThrow(
          /media\.realtime 100: the media thread \(tid \d+\) could not be given SCHED_RR .*CAP_SYS_NICE/,
        );
      } finally {
        await pool.stop();
      }
    },
    30_000,
  );

  it.runIf(linux)(
    'a real-time priority the thread cannot take stops the start, naming the key and the fix',
    async () => {
      // Out of SCHED_RR's range (1 … 99); without CAP_SYS_NICE any one fails the same way.
      const pool = new RelayPool(
        { bindAddress: '127.0.0.1', iceServers: [] },
        1,
        log,
        undefined,
        100,
      );
      try {
        await expect(pool.start()).rejects.toThrow(
          /media\.realtime 100: the media thread \(tid \d+\) could not be given SCHED_RR .*CAP_SYS_NICE/,
        );
      } finally {
        await pool.stop();
      }
    },
    30_000,
  );

  it('needs media threads, and is not set with media.priority', () => {
    const base = { server: 'wss://sip.example.org', account: { username: 'u', password: 'p' } };
    const issues = (media: object) =>
      JSON.stringify(sipConfigSchema.safeParse({ ...base, media }).error?.issues ?? []);
    expect(issues({ threads: 0, realtime: 10 })).toMatch(/media.realtime applies to media threads/);
    expect(issues({ realtime: 10, priority: -5 })).toMatch(
      /media.realtime and media.priority: set one/,
    );
    expect(sipConfigSchema.safeParse({ ...base, media: { realtime: 0 } }).success).toBe(false);
    expect(sipConfigSchema.safeParse({ ...base, media: { realtime: 100 } }).success).toBe(false);
    expect(
      sipConfigSchema.safeParse({ ...base, media: { threads: 1, realtime: 10 } }).success,
    ).toBe(true);
  });
});

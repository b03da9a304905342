import { getPriority } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { sipConfigSchema } from '../config.js';
import { RelayPool } from './relay-pool.js';
import { osThreadId } from './thread-priority.js';

const log = pino({ level: 'silent' });
const linux = process.platform === 'linux';

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

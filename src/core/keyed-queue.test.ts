import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './keyed-queue.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedQueue', () => {
  it('runs one key in push order, one task at a time', async () => {
    const q = new KeyedQueue(4, () => undefined);
    const seen: number[] = [];
    let running = 0;
    let maxRunning = 0;
    for (let i = 0; i < 50; i++) {
      q.push('room', async () => {
        maxRunning = Math.max(maxRunning, ++running);
        await tick();
        seen.push(i);
        running--;
      });
    }
    await q.idle();
    expect(seen).toEqual([...Array(50).keys()]);
    expect(maxRunning).toBe(1);
  });

  it('runs different keys concurrently up to the bound', async () => {
    const q = new KeyedQueue(3, () => undefined);
    let running = 0;
    let maxRunning = 0;
    for (let k = 0; k < 10; k++) {
      q.push(`room${k}`, async () => {
        maxRunning = Math.max(maxRunning, ++running);
        await tick();
        running--;
      });
    }
    await q.idle();
    expect(maxRunning).toBe(3);
  });

  it('reports a failed task and goes on with the next', async () => {
    const errors: string[] = [];
    const q = new KeyedQueue(1, (key, err) => errors.push(`${key}:${(err as Error).message}`));
    const seen: string[] = [];
    q.push('a', async () => {
      throw new Error('boom');
    });
    q.push('a', async () => void seen.push('after'));
    await q.idle();
    expect(errors).toEqual(['a:boom']);
    expect(seen).toEqual(['after']);
  });

  it('lets a quiet key through while a busy key has a long backlog', async () => {
    const q = new KeyedQueue(1, () => undefined);
    const order: string[] = [];
    for (let i = 0; i < 100; i++) q.push('busy', async () => void order.push('busy'));
    q.push('quiet', async () => void order.push('quiet'));
    await q.idle();
    expect(order.indexOf('quiet')).toBeLessThan(99);
    expect(order.filter((x) => x === 'busy')).toHaveLength(100);
  });

  it('counts queued and running tasks', async () => {
    const q = new KeyedQueue(2, () => undefined);
    let release!: () => void;
    q.push('a', () => new Promise<void>((r) => (release = r)));
    q.push('a', async () => undefined);
    expect(q.size).toBe(2);
    release();
    await q.idle();
    expect(q.size).toBe(0);
  });
});

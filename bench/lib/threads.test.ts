import { describe, expect, it } from 'vitest';
import { cpuBusyPercent, cpuStealMs, cpuTicks } from './threads.js';

const stat = (steal1: number, idle1: number) =>
  [
    'cpu  1 2 3 4 5 6 7 8 0 0',
    'cpu0 100 0 50 800 50 0 0 0 0 0',
    `cpu1 100 0 50 ${idle1} 0 0 0 ${steal1} 0 0`,
    'intr 12345',
  ].join('\n');

describe('cpuTicks', () => {
  it("reads each CPU's busy, total and stolen ticks, and the window's steal in ms", () => {
    const before = cpuTicks(stat(547, 800));
    const after = cpuTicks(stat(550, 900));
    expect(after.get('cpu1')).toEqual({ busy: 700, total: 1600, steal: 550 });
    expect(cpuStealMs(before, after)).toEqual({ cpu0: 0, cpu1: 30 });
    expect(cpuBusyPercent(before, after)).toEqual({ cpu1: 3 / 1.03 });
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TxnResets } from './txn-resets.js';

function logged() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  const warnings = () => lines.filter((l) => l.level === 40).length;
  return { log, warnings };
}

describe('TxnResets', () => {
  it('warns once per homeserver restart, not once per reused id', () => {
    const { log, warnings } = logged();
    const resets = new TxnResets(log);
    for (let id = 1; id <= 400; id++) resets.seen(String(id), false); // the first run
    for (let id = 1; id <= 410; id++) resets.seen(String(id), id <= 400); // a restart: 1.. reused
    expect(warnings()).toBe(1);
    for (let id = 1; id <= 50; id++) resets.seen(String(id), true); // a second restart
    expect(warnings()).toBe(2);
  });

  it('warns for each reuse of ids that are not numbers (no run to follow)', () => {
    const { log, warnings } = logged();
    const resets = new TxnResets(log);
    resets.seen('abc', true);
    resets.seen('abd', true);
    expect(warnings()).toBe(2);
  });
});

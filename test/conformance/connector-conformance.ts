// The connector conformance kit: one suite every bridge runs against its own real network, through
// real Synapse. `runConnectorConformance(target)` registers it (a vitest `describe`); a bridge's
// test file calls it once per configuration it wants checked. See README.md beside this file.
//
// Anything a bridge skips is named (a `ConformanceTestName`) and explained (its reason is in the
// skipped test's title); a test the target cannot run (no `say`, no `refuse`) fails until it is
// either made possible or skipped with a reason, so nothing is left out silently.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { registerUser, requireSynapse, uniqueLocalpart } from '../support/synapse.js';
import { conformanceTests } from './conformance-tests.js';
import { Kit } from './kit.js';
import { CONFORMANCE_TESTS, type ConformanceTarget, type ConformanceTestName } from './types.js';

export * from './types.js';
export { startDirectChat } from './direct-chat-test.js';

/** Problems with the skip list (a JS caller can misspell a name; an empty reason explains nothing). */
function skipProblems(target: ConformanceTarget): string[] {
  const known = new Set<string>(CONFORMANCE_TESTS);
  return target.skip.flatMap((entry) => [
    ...(entry.reason.trim() ? [] : [`a skip of ${JSON.stringify(entry.tests)} has no reason`]),
    ...entry.tests
      .filter((name) => !known.has(name))
      .map((name) => `no conformance test is called "${name}"`),
  ]);
}

export function runConnectorConformance(target: ConformanceTarget): void {
  describe(`connector conformance: ${target.name}`, () => {
    const kit = new Kit(target);
    const skipped = new Map<ConformanceTestName, string>();
    for (const entry of target.skip)
      for (const name of entry.tests) skipped.set(name, entry.reason.trim());
    const tests = conformanceTests(target);
    const runs = tests.filter((test) => !skipped.has(test.name));

    beforeAll(async () => {
      requireSynapse();
      if (runs.length === 0) return;
      kit.database = join(mkdtempSync(join(tmpdir(), 'sb-conformance-')), 'switchboard.db');
      await kit.start();
      kit.user = await registerUser(uniqueLocalpart('conformance'));
    }, 120_000);

    afterAll(async () => {
      await kit.sb?.stop();
    }, 60_000);

    const problems = skipProblems(target);
    if (problems.length) {
      it('the skip list names real tests and says why', () => {
        throw new Error(problems.join('\n'));
      });
    }

    for (const test of tests) {
      const title = `${test.name}: ${test.title}`;
      const reason = skipped.get(test.name);
      if (reason !== undefined) {
        it.skip(`${title} — skipped: ${reason || '(no reason given)'}`, () => undefined);
      } else if (test.needs && !test.needs.has(target)) {
        it(title, () => {
          throw new Error(
            `${test.name} needs the target's ${test.needs!.what}: provide it, or skip '${test.name}' with a reason`,
          );
        });
      } else {
        it(title, { timeout: test.timeoutMs }, () => test.run(kit));
      }
    }
  });
}

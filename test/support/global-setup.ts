// globalSetup of the `integration` project: fail the whole run once, loudly, when the real servers
// are not there (instead of every file timing out). `npm test` (test/run.sh) starts them. Then
// compile the `switchboard` command once for the files that run it as a child process.
import type { TestProject } from 'vitest/node';
import { buildCli, removeCliBuild } from './cli-build.js';

export default async function setup(project: TestProject): Promise<() => void> {
  const hsUrl = process.env.SWITCHBOARD_TEST_HS_URL;
  if (!hsUrl || !process.env.SWITCHBOARD_TEST_PG_URL) {
    throw new Error(
      'Synapse is not running: run `npm test`, which starts it ' +
        '(the integration tests need SWITCHBOARD_TEST_HS_URL and SWITCHBOARD_TEST_PG_URL)',
    );
  }
  const url = `${hsUrl.replace(/\/+$/, '')}/_matrix/client/versions`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    throw new Error(
      `Synapse does not answer at ${url} (${(err as Error).message}): run \`npm test\`, which starts it`,
    );
  }
  const cliBuild = buildCli();
  project.provide('cliBuild', cliBuild);
  return () => removeCliBuild(cliBuild);
}

/** Checks that the demo's ports are free on 127.0.0.1 before anything starts. */
import { createServer } from 'node:net';
import { EXIT } from '../core/startup-checks.js';
import { DemoError } from './demo-error.js';
import type { DemoPort } from './options.js';

/** Resolves with the error code when 127.0.0.1:`port` cannot be bound (EADDRINUSE, EACCES), else undefined. */
export function bindProblem(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      server.close(() => resolve(undefined)),
    );
  });
}

/** Throws a DemoError naming the first port in use, what needs it, and the flag that moves it. */
export async function assertPortsFree(ports: DemoPort[], values: Record<string, number>) {
  for (const p of ports) {
    const port = values[p.key]!;
    const problem = await bindProblem(port);
    if (!problem) continue;
    const why = problem === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${problem})`;
    throw new DemoError(
      `port ${port} on 127.0.0.1 ${why}: it is for ${p.what}. ` +
        `Stop what uses it, or choose another port with ${p.flag} <port>.`,
      EXIT.listen,
    );
  }
}

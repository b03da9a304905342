// A TCP forwarder with a gate, for IRC tests: put it between the bridge and InspIRCd (give the
// bridge `gate.port`). While shut, open connections are cut and new ones are closed at once (the
// bridge sees its connections drop and its reconnects fail), so a test decides when the bridge
// may come back, e.g. only after an IRC observer is back in the channel.
import net, { type AddressInfo, type Socket } from 'node:net';

export interface TcpGate {
  port: number;
  /** Cuts every open connection and refuses (accepts, then closes) new ones. */
  shut(): void;
  open(): void;
  close(): Promise<void>;
}

export async function startTcpGate(targetPort: number): Promise<TcpGate> {
  let shut = false;
  const open = new Set<Socket>();
  const server = net.createServer((client) => {
    if (shut) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = [client, upstream];
    for (const s of pair) {
      open.add(s);
      s.on('error', () => pair.forEach((x) => x.destroy()));
      s.on('close', () => (open.delete(s), pair.forEach((x) => x.destroy())));
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    shut() {
      shut = true;
      for (const s of open) s.destroy();
    },
    open() {
      shut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

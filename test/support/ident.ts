// RFC 1413 from the tests' side: the local ports of our TCP connections to a server, and a real query.
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Local ports of established TCP connections (IPv4) to 127.0.0.1:`port`. */
export function clientPortsTo(port: number): number[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[2] === `0100007F:${hexPort}` && f[3] === '01')
    .map((f) => parseInt(f[1]!.split(':')[1]!, 16));
}

/** A real RFC 1413 query; resolves with the answer line. */
export function identQuery(identPort: number, query: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: identPort });
    let text = '';
    s.setEncoding('latin1');
    s.on('connect', () => s.write(`${query}\r\n`));
    s.on('data', (d: string) => (text += d));
    s.on('end', () => resolve(text.trim()));
    s.on('error', reject);
  });
}

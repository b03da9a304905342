/**
 * The fake's CDN (`<fake>/cdn`, what the bridge's `cdn_url` is set to in the tests): files put by
 * the tests (attachments, avatars, custom emoji, stickers) served as Discord's CDN serves them,
 * by path, ignoring `?size=` and the like. Unknown paths are 404s; every fetch is recorded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CdnFile {
  data: Uint8Array;
  contentType: string;
}

export class FakeCdn {
  private readonly files = new Map<string, CdnFile>();
  /** Paths fetched, oldest first (with any query string). */
  readonly fetched: string[] = [];
  /** Redirects to answer instead of a file, by path (to check the bridge does not follow them). */
  readonly redirects = new Map<string, string>();

  constructor(private readonly base: () => string) {}

  /** Serves `data` at `path` (`/attachments/…`); its full URL. */
  put(path: string, data: Uint8Array, contentType: string): string {
    this.files.set(path, { data, contentType });
    return `${this.base()}${path}`;
  }

  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    this.fetched.push(path);
    const bare = path.replace(/\?.*$/, '');
    const redirect = this.redirects.get(bare);
    if (redirect) {
      res.writeHead(302, { location: redirect });
      res.end();
      return;
    }
    const file = this.files.get(bare);
    if (req.method !== 'GET' || !file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404: Not Found');
      return;
    }
    res.writeHead(200, {
      'content-type': file.contentType,
      'content-length': String(file.data.byteLength),
    });
    res.end(Buffer.from(file.data));
  }
}

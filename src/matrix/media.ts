/**
 * Media upload and download. Downloads try authenticated media (`/_matrix/client/v1/media`, spec
 * v1.11) first and fall back to the legacy `/_matrix/media/v3` on `M_UNRECOGNIZED`, which older
 * homeservers (Synapse 1.94) answer for the new path.
 */
import { MatrixError } from './errors.js';
import { connectionError, path, type MatrixHttp } from './http.js';
import type { TransportReply } from './transport.js';

export interface DownloadedMedia {
  data: Uint8Array;
  contentType: string;
}

export function parseMxc(mxc: string): { serverName: string; mediaId: string } {
  const match = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc);
  if (!match) throw new TypeError(`not an mxc URI: ${mxc.slice(0, 100)}`);
  return { serverName: match[1]!, mediaId: match[2]! };
}

export class MediaApi {
  /** Learnt once: a homeserver without authenticated media is not asked again. */
  private authenticatedMedia: boolean | undefined;

  constructor(
    private readonly http: MatrixHttp,
    private readonly maxDownloadBytes: number,
  ) {}

  async upload(
    data: Uint8Array,
    contentType: string,
    filename?: string,
    asUser?: string,
  ): Promise<string> {
    const res = await this.http.json<{ content_uri?: unknown }>({
      method: 'POST',
      path: '/_matrix/media/v3/upload',
      query: { filename, user_id: asUser },
      body: data,
      contentType,
    });
    if (typeof res.content_uri !== 'string')
      throw new MatrixError(200, 'M_BAD_JSON', 'upload answer without content_uri');
    return res.content_uri;
  }

  async download(mxc: string): Promise<DownloadedMedia> {
    const { serverName, mediaId } = parseMxc(mxc);
    if (this.authenticatedMedia !== false) {
      try {
        const res = await this.http.send({
          method: 'GET',
          path: path`/_matrix/client/v1/media/download/${serverName}/${mediaId}`,
        });
        this.authenticatedMedia = true;
        return await this.read(res);
      } catch (err) {
        const unsupported =
          err instanceof MatrixError &&
          (err.status === 404 || err.status === 405) &&
          err.errcode === 'M_UNRECOGNIZED';
        if (!unsupported) throw err;
        this.authenticatedMedia = false;
      }
    }
    const res = await this.http.send({
      method: 'GET',
      path: path`/_matrix/media/v3/download/${serverName}/${mediaId}`,
      anonymous: true,
    });
    return this.read(res);
  }

  /** Reads at most `maxDownloadBytes`, so a huge file cannot exhaust memory. */
  private async read(res: TransportReply): Promise<DownloadedMedia> {
    const contentType = res.header('content-type') ?? 'application/octet-stream';
    const declared = Number(res.header('content-length') ?? NaN);
    if (declared > this.maxDownloadBytes) {
      res.discard();
      throw tooLarge(this.maxDownloadBytes);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.byteLength;
        if (size > this.maxDownloadBytes) break;
        chunks.push(chunk);
      }
    } catch (err) {
      throw connectionError(err); // reset or timed out mid-body
    }
    if (size > this.maxDownloadBytes) throw tooLarge(this.maxDownloadBytes);
    return { data: Buffer.concat(chunks), contentType };
  }
}

const tooLarge = (max: number) =>
  new MatrixError(413, 'M_TOO_LARGE', `media larger than ${max} bytes`);

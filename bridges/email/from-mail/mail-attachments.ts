/**
 * A mail's attachments (and inline images) → Matrix media: each uploaded through core
 * (`ctx.uploadMedia`), at most MAX_ATTACHMENTS per mail. One that cannot be uploaded (the
 * homeserver refuses its size, say) is named in the message's text instead, never dropped silently.
 */
import type { Attachment as MailAttachment } from 'mailparser';
import type { Attachment, BridgeContext } from '../../../src/connector.js';
import { headerText } from '../from-matrix/addresses.js';
import type { EmailConfig } from '../config.js';

const MAX_ATTACHMENTS = 20;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

export interface UploadedAttachments {
  attachments: Attachment[];
  /** Text naming what could not be uploaded (empty when everything was). */
  missing: string;
}

export async function uploadAttachments(
  ctx: BridgeContext<EmailConfig>,
  files: MailAttachment[],
  log: Record<string, unknown>,
  /** The whole mail, attached as `mail.eml` (when its shown text was shortened). */
  original?: Buffer,
): Promise<UploadedAttachments> {
  const attachments: Attachment[] = [];
  const notUploaded: string[] = [];
  for (const [i, file] of files.entries()) {
    const name = headerText(file.filename ?? '', 200) || `attachment-${i + 1}`;
    const mimeType = MIME.test(file.contentType) ? file.contentType : 'application/octet-stream';
    if (i >= MAX_ATTACHMENTS) {
      notUploaded.push(`${name} (more than ${MAX_ATTACHMENTS} attachments)`);
      continue;
    }
    try {
      const url = await ctx.uploadMedia(file.content, { contentType: mimeType, filename: name });
      attachments.push({ url, name, mimeType, size: file.size });
    } catch (err) {
      ctx.log.warn(
        { ...log, size: file.size, err: { message: (err as Error).message } },
        'a mail attachment could not be uploaded',
      );
      notUploaded.push(`${name} (${file.size} bytes, not uploaded: ${(err as Error).message})`);
    }
  }
  if (original) {
    try {
      const url = await ctx.uploadMedia(original, {
        contentType: 'message/rfc822',
        filename: 'mail.eml',
      });
      attachments.push({
        url,
        name: 'mail.eml',
        mimeType: 'message/rfc822',
        size: original.length,
      });
    } catch (err) {
      ctx.log.warn(
        { ...log, size: original.length, err: { message: (err as Error).message } },
        'the whole mail could not be uploaded',
      );
      notUploaded.push(`the whole mail (${original.length} bytes, not uploaded)`);
    }
  }
  return {
    attachments,
    missing: notUploaded.length ? `📎 ${notUploaded.join(', ')}` : '',
  };
}

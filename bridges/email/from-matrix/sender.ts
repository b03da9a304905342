/**
 * Sends a composed mail: Matrix media downloaded as attachments (bounded), the MIME message built
 * once by nodemailer's MailComposer (multipart/alternative plain + HTML, RFC 2047 headers, UTF-8
 * bodies, Message-ID and Date), submitted over SMTP, then saved to the mailbox's Sent folder by
 * IMAP APPEND when `sent_folder` is set (the mail client then sees the conversation whole).
 */
import { ImapFlow } from 'imapflow';
import { createTransport, type Transporter } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { BridgeError, type Attachment, type BridgeContext } from '../../../src/connector.js';
import { headerText } from './addresses.js';
import type { EmailConfig, MailboxConfig } from '../config.js';
import { imapOptions, smtpOptions } from '../mailboxes/connection.js';
import type { OutgoingMail } from './compose.js';

/** What sending needs of a mailbox (a direct-mode room has no IMAP, so no Sent folder). */
export type SendingMailbox = Pick<MailboxConfig, 'address' | 'smtp'> &
  Partial<Pick<MailboxConfig, 'imap' | 'sent_folder'>>;

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

export class MailSender {
  private readonly transport?: Transporter;

  constructor(
    private readonly ctx: BridgeContext<EmailConfig>,
    private readonly mailboxId: string,
    private readonly mailbox: SendingMailbox,
  ) {
    const options = smtpOptions(mailbox);
    // Pooled: a few submission connections kept open and reused (a new connection per mail costs
    // a handshake, and OpenSMTPD answers some new connections only after seconds), each for at
    // most 100 mails (OpenSMTPD's default `max-mails` per session; more are refused with a 4xx).
    this.transport = options
      ? createTransport({ ...options, pool: true, maxConnections: 3, maxMessages: 100 })
      : undefined;
  }

  get canSend(): boolean {
    return this.transport !== undefined;
  }

  close(): void {
    this.transport?.close();
  }

  /** The MIME message, as it is sent and saved. */
  async build(mail: OutgoingMail, attachments: Attachment[] = []): Promise<Buffer> {
    const files = await this.download(attachments);
    const composer = new MailComposer({
      messageId: mail.messageId,
      date: new Date(),
      from: mail.from,
      replyTo: mail.replyTo,
      to: mail.to,
      ...(mail.cc.length ? { cc: mail.cc } : {}),
      subject: mail.subject,
      ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
      ...(mail.references.length ? { references: mail.references } : {}),
      text: mail.text,
      ...(mail.html ? { html: mail.html } : {}),
      attachments: files,
      headers: { 'Auto-Submitted': 'no' },
      disableFileAccess: true,
      disableUrlAccess: true,
      xMailer: 'Switchboard',
    });
    return composer.compile().build();
  }

  /** Submits the mail; a refusal of the server is a BridgeError the Matrix sender sees. */
  send(mail: OutgoingMail, raw: Buffer): Promise<void> {
    return this.sendRaw([...mail.to, ...mail.cc], raw);
  }

  /** The SMTP envelope of a mail from this mailbox. */
  envelope(mail: OutgoingMail): { from: string; to: string[] } {
    return { from: this.mailbox.address, to: [...mail.to, ...mail.cc] };
  }

  /** Submits a built mail to its recipients (the outbox's retries too). */
  async sendRaw(to: string[], raw: Buffer): Promise<void> {
    if (!this.transport)
      throw new BridgeError('unsupported', 'this mailbox is read-only (no smtp in the config)');
    try {
      await this.transport.sendMail({ envelope: { from: this.mailbox.address, to }, raw });
    } catch (err) {
      const e = err as { responseCode?: number; response?: string; message: string; code?: string };
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
      this.ctx.log.warn(
        { mailbox: this.mailboxId, code: e.code, responseCode: e.responseCode },
        'SMTP submission failed',
      );
      throw new BridgeError(
        permanent ? 'rejected' : 'network',
        `the mail server refused the mail: ${headerText(e.response ?? e.message, 300)}`,
        !permanent,
      );
    }
  }

  /** Saves a copy to the Sent folder (best effort: the mail is out already). */
  async saveSent(raw: Buffer): Promise<void> {
    const { sent_folder: folder, imap } = this.mailbox;
    if (!folder || !imap) return;
    const client = new ImapFlow({
      ...imapOptions({ imap }, this.ctx.config),
      disableAutoIdle: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const saved = await client.append(folder, raw, ['\\Seen']).catch(() => false);
      if (!saved) {
        // Most likely a folder that does not exist yet (TRYCREATE): make it, and try once more.
        await client.mailboxCreate(folder).catch(() => undefined);
        if (!(await client.append(folder, raw, ['\\Seen'])))
          throw new Error(`the server did not take the copy in ${folder}`);
      }
    } catch (err) {
      this.ctx.log.warn(
        { mailbox: this.mailboxId, folder, err: { message: (err as Error).message } },
        'could not save the sent mail to the Sent folder',
      );
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  private async download(attachments: Attachment[]) {
    const max = this.ctx.config.max_mail_bytes;
    let total = 0;
    const files = [];
    for (const a of attachments) {
      if (!a.url.startsWith('mxc://')) continue;
      if (a.size !== undefined && total + a.size > max)
        throw new BridgeError('too-large', `attachments over ${max} bytes are not sent by mail`);
      const { data, contentType } = await this.ctx.downloadMedia(a.url);
      total += data.byteLength;
      if (total > max)
        throw new BridgeError('too-large', `attachments over ${max} bytes are not sent by mail`);
      files.push({
        filename: headerText(a.name || 'attachment', 200),
        content: Buffer.from(data),
        contentType:
          [a.mimeType, contentType].find((t) => t && MIME.test(t)) ?? 'application/octet-stream',
      });
    }
    return files;
  }
}

/**
 * Mail from Matrix on its way out: remembered for bounces, submitted (written to the outbox when
 * the server cannot take it now), and handed to core with what it is to wait for
 * (`SendResult.confirmed`: the bounce wait, or the outbox's retries). See outbox.ts.
 */
import {
  BridgeError,
  type BridgeContext,
  type MatrixUserId,
  type RemoteMessageId,
  type SendResult,
} from '../../../src/connector.js';
import { rememberSent } from './bounces.js';
import type { OutgoingMail } from './compose.js';
import type { EmailConfig } from '../config.js';
import type { MailOutcome } from '../mailboxes/metrics.js';
import { Confirmations, Outbox, type OutboxEntry } from './outbox.js';
import type { Portal } from '../portals/portals.js';
import type { MailSender } from './sender.js';

export interface OutgoingSend {
  portal: Portal;
  mail: OutgoingMail;
  raw: Buffer;
  sender: MailSender;
  /** The Matrix user who wrote it. */
  matrixSender: string;
}

export class Outgoing {
  private readonly outbox: Outbox;
  private readonly confirmations: Confirmations;

  constructor(
    private readonly ctx: BridgeContext<EmailConfig>,
    private readonly senders: Map<string, MailSender>,
    private readonly counted: (outcome: MailOutcome) => void,
  ) {
    this.confirmations = new Confirmations(ctx.config.bounce_wait_ms);
    this.outbox = new Outbox({
      kv: ctx.kv,
      policy: ctx.config.send_retry,
      log: ctx.log,
      send: async (entry) => {
        const sender = this.senders.get(entry.mailboxId);
        if (!sender)
          throw new BridgeError(
            'unknown-target',
            `the mailbox ${entry.mailboxId} is gone from the config`,
          );
        await sender.sendRaw(entry.to, Buffer.from(entry.raw, 'base64'));
      },
      sent: (entry) => this.outboxSent(entry),
      failed: (entry, error) => this.outboxFailed(entry, error),
    });
  }

  start(): Promise<void> {
    return this.outbox.start();
  }

  stop(): void {
    this.outbox.stop();
    this.confirmations.stop();
  }

  /** Sends a mail from Matrix (a permanent refusal throws; a temporary one keeps it in the outbox). */
  async send({ portal, mail, raw, sender, matrixSender }: OutgoingSend): Promise<SendResult> {
    const { ctx } = this;
    const envelope = sender.envelope(mail);
    const entry: OutboxEntry = {
      id: mail.messageId,
      portal: portal.key,
      mailboxId: portal.mailboxId,
      ...envelope,
      raw: raw.toString('base64'),
      sender: matrixSender,
      subject: mail.subject,
      attempts: 0,
      firstAt: Date.now(),
      nextAt: Date.now(),
    };
    // Remembered as sent from Matrix (for a bounce, and a redaction of it) while it is submitted.
    // The first try is not written to the outbox: until this returns, core holds the Matrix event
    // (and hands it over again after a crash); a mail the server cannot take now goes there.
    const remembered = rememberSent(ctx.kv, portal.mailboxId, mail.messageId, {
      portal: portal.key,
      sender: matrixSender,
      subject: mail.subject,
    });
    const remoteId = mail.messageId as RemoteMessageId;
    try {
      await sender.sendRaw(envelope.to, raw);
    } catch (err) {
      await remembered;
      if (err instanceof BridgeError && err.retriable) {
        await this.outbox.add(entry);
        await this.outbox.deferred(entry, err);
        const confirmed = this.confirmations.wait(mail.messageId, false);
        return { remoteId, ...(confirmed ? { confirmed } : {}) };
      }
      this.counted('failed');
      throw err;
    }
    await remembered;
    this.counted('sent');
    ctx.log.info(
      { portal: portal.key, messageId: mail.messageId, recipients: envelope.to.length },
      'mail sent from Matrix',
    );
    await sender.saveSent(raw);
    const confirmed = this.confirmations.wait(mail.messageId, true);
    return { remoteId, ...(confirmed ? { confirmed } : {}) };
  }

  /** A delivery report about a mail from Matrix: its Matrix event fails while core waits. */
  bounced(messageId: string, reason: string): void {
    this.confirmations.fail(
      messageId,
      new BridgeError('rejected', `the mail was not delivered: ${reason}`),
    );
  }

  /** The outbox sent a mail it had kept (after a temporary failure). */
  private async outboxSent(entry: OutboxEntry): Promise<void> {
    this.counted('sent');
    this.ctx.log.info({ portal: entry.portal, messageId: entry.id }, 'mail sent from the outbox');
    this.confirmations.left(entry.id);
    await this.senders.get(entry.mailboxId)?.saveSent(Buffer.from(entry.raw, 'base64'));
  }

  /** The outbox gave up on a mail: core's wait fails (the sender sees why), or they are told. */
  private async outboxFailed(entry: OutboxEntry, error: BridgeError): Promise<void> {
    this.counted('failed');
    this.ctx.log.warn(
      { portal: entry.portal, messageId: entry.id, attempts: entry.attempts + 1 },
      'outbox: gave up on a mail',
    );
    if (this.confirmations.fail(entry.id, error)) return;
    await this.ctx.notify(
      entry.sender as MatrixUserId,
      `⚠️ Your mail “${entry.subject}” was not sent: ${error.userMessage}.`,
    );
  }
}

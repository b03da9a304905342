// The email bridge runs the connector conformance kit (test/conformance/) against real Dovecot +
// OpenSMTPD and Synapse. Each portal is a mailbox of its own (`#email_<id>`, a public room) watching
// its own folder of the `bridge` account, whose top-level messages go as new mails to bob (the
// folder's `to`). What the network got is the mailbox's Sent folder (the bridge saves every mail it
// sends there): OpenSMTPD's queue may deliver mails sent close together in another order, the
// Sent folder has them in the order they were sent. bob speaks by mail (LMTP, in order).
import { EmailConnector } from '../../bridges/email/index.js';
import {
  bridgeMailbox,
  createFolder,
  mailsIn,
  sendMail,
  startEmailBridge,
  tag,
} from '../support/mail-user.js';
import { joinAlias } from '../support/bridge-harness.js';
import {
  runConnectorConformance,
  type NetworkMessage,
} from '../conformance/connector-conformance.js';

const PORTALS = 12;
const t = tag();
const connector = new EmailConnector();
const ids = Array.from({ length: PORTALS }, (_, i) => `c${t}-${i}`);
const folderOf = (id: string) => `conf-${id}`;
const sentOf = (id: string) => `Sent-${id}`;
const portals = new Map<string, string>(); // room → mailbox id
let next = 0;

const mailboxOf = (roomId: string) => {
  const id = portals.get(roomId);
  if (!id) throw new Error(`${roomId} is not a portal this test opened`);
  return id;
};

runConnectorConformance({
  name: 'email (Dovecot + OpenSMTPD)',
  start: async ({ database }) => {
    for (const id of ids) await createFolder('bridge', folderOf(id)).catch(() => undefined);
    return startEmailBridge(
      Object.fromEntries(
        ids.map((id) => [
          id,
          bridgeMailbox([{ folder: folderOf(id), join_rule: 'public', to: ['bob@localhost'] }], {
            sent_folder: sentOf(id),
          }),
        ]),
      ),
      { database, connector },
    );
  },
  openPortal: async (user) => {
    const id = ids[next++];
    if (!id) throw new Error(`more than ${PORTALS} portals asked for`);
    const roomId = await joinAlias(user, `#email_${id}:localhost`);
    portals.set(roomId, id);
    return roomId;
  },
  network: {
    received: async (roomId): Promise<NetworkMessage[]> =>
      (await mailsIn('bridge', sentOf(mailboxOf(roomId)))).map((m) => {
        const refs = [m.references ?? []].flat();
        return {
          kind: 'message',
          ...(m.messageId ? { id: m.messageId } : {}),
          text: m.text ?? '',
          ...(m.inReplyTo && refs[0] ? { thread: refs[0] } : {}),
        };
      }),
    say: async (roomId, text) => {
      await sendMail(
        {
          from: '"Bob" <bob@localhost>',
          to: `bridge+${folderOf(mailboxOf(roomId))}@localhost`,
          subject: text.slice(0, 60),
          text,
        },
        { lmtp: true },
      );
    },
  },
  // A recipient the mail server refuses (OpenSMTPD bridges only @localhost): the submission fails.
  refuse: 'To: nobody@elsewhere.invalid\nrefused:',
  capabilities: {
    edits: false,
    redactions: false,
    reactions: false,
    replies: false,
    threads: true,
  },
  skip: [
    {
      tests: ['calls'],
      reason:
        "mail has no calls, and this target's portals are public rooms (the kit makes its user after the bridge starts, so a configured invite cannot name it), where Synapse refuses call invites; core's answer to calls a bridge lacks is tested by the echo run",
    },
    {
      tests: ['direct-chat-rejoin'],
      reason:
        'a Matrix user cannot start a chat by inviting a ghost: mail goes through mailboxes (and the direct mode) the admin configured',
    },
  ],
  // Neither a mailing list of a configured mailbox nor an address of the direct mode.
  unservableLink: { bridge: 'email', remoteId: 'list:no-such-mailbox:dev.example.org' },
  patienceMs: 30_000,
});

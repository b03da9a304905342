/**
 * The XMPP benchmark's portal on the stand-in homeserver: made from its alias through the bridge,
 * Matrix users entering it (each becomes an occupant of the MUC) and speaking in it, pushed to the
 * bridge in transactions of up to 100 events as a homeserver sends them.
 */
import type { ClientEvent } from '../../src/matrix/events.js';
import type { FakeHomeserver } from '../../test/support/fake-homeserver.js';
import { HS_TOKEN } from './identities.js';
import { push, sleep, waitUntil } from './pusher.js';
import type { XmppPeer } from './xmpp-peer.js';

const TXN_SIZE = 100;

/** Asks the bridge for the alias until it made the portal (the component may still connect). */
export async function portalFromAlias(
  hs: FakeHomeserver,
  asUrl: string,
  alias: string,
): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${asUrl}/_matrix/app/v1/rooms/${encodeURIComponent(alias)}`, {
      headers: { authorization: `Bearer ${HS_TOKEN}` },
    });
    const roomId = res.status === 200 ? hs.world.aliases.get(alias) : undefined;
    if (roomId) return roomId;
    await sleep(300);
  }
  throw new Error(`the alias ${alias} was not made`);
}

async function pushAll(hs: FakeHomeserver, events: ClientEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += TXN_SIZE) await push(hs, events.slice(i, i + TXN_SIZE));
}

/** Matrix users enter `room`; resolves once `watcher` sees each in the MUC under its name. */
export async function enterRoom(
  hs: FakeHomeserver,
  room: string,
  users: string[],
  name: (i: number) => string,
  /** Who waits to see each in the MUC; undefined (`occupants: speakers`): nobody enters it yet. */
  watcher: XmppPeer | undefined,
  muc: string,
): Promise<void> {
  const joins = users.map((u, i) => {
    hs.addUser(u, { displayname: name(i) });
    hs.join(room, u);
    return hs
      .events(room)
      .filter((e) => e.type === 'm.room.member' && e.state_key === u)
      .at(-1)!;
  });
  await pushAll(hs, joins);
  if (!watcher) return;
  await waitUntil(
    () => users.every((_, i) => watcher.present.has(`${muc}/${name(i)}`)),
    300_000,
    `${users.length} Matrix users in the MUC`,
  );
}

/** Messages from the `speakers` in turn, the first `offset` along. */
export async function sayFromMatrix(
  hs: FakeHomeserver,
  room: string,
  speakers: string[],
  bodies: string[],
  offset = 0,
): Promise<void> {
  const events = bodies.map((body, i) =>
    hs.send(room, speakers[(offset + i) % speakers.length]!, { msgtype: 'm.text', body }),
  );
  await pushAll(hs, events);
}

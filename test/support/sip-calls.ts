// The Matrix side of the SIP bridge's call tests: a DM with a number's ghost, m.call.* events
// sent and awaited through Synapse, and the werift peer's test pattern sent and counted back.
import { asUser, roomEvents, sendAs, type RoomEvent } from './bridge-harness.js';
import { waitFor, type TestUser } from './synapse.js';
import { splitCandidates, WebrtcPhone } from './webrtc-phone.js';

/** One second of 20 ms PCMU frames. */
export const PATTERN = 50;

/** A DM of `user` with a number's ghost (the user invites it, as a client starts a DM). */
export async function dmWith(user: TestUser, number: string): Promise<string> {
  const ghost = `@sip_=2b${number.slice(1)}:localhost`;
  const { room_id: roomId } = await asUser<{ room_id: string }>(
    user,
    'POST',
    '/_matrix/client/v3/createRoom',
    { is_direct: true, invite: [ghost], preset: 'trusted_private_chat' },
  );
  await waitFor(
    async () =>
      (await roomEvents(user, roomId, 50)).some(
        (e) =>
          e.type === 'm.room.member' && e.state_key === ghost && e.content.membership === 'join',
      ),
    20_000,
    'the ghost to join the DM',
  );
  return roomId;
}

/** The first `type` event of the call from the ghost that `accept` takes. */
export const callEvent = (
  user: TestUser,
  roomId: string,
  callId: string,
  type: string,
  accept: (e: RoomEvent) => boolean = () => true,
) =>
  waitFor(
    async () =>
      (await roomEvents(user, roomId, 100)).find(
        (e: RoomEvent) =>
          e.type === type && e.content.call_id === callId && e.sender !== user.userId && accept(e),
      ),
    30_000,
    `${type} for ${callId}`,
  );

export const base = (callId: string) => ({
  call_id: callId,
  party_id: 'testdevice',
  version: '1',
});

/** Calls out as a trickling client does: the invite without candidates, then m.call.candidates. */
export async function callOut(
  user: TestUser,
  roomId: string,
  callId: string,
): Promise<WebrtcPhone> {
  const phone = new WebrtcPhone();
  const { sdp, candidates } = splitCandidates(await phone.offer());
  await sendAs(
    user,
    roomId,
    { ...base(callId), lifetime: 60_000, offer: { type: 'offer', sdp } },
    'm.call.invite',
  );
  await sendAs(
    user,
    roomId,
    { ...base(callId), candidates: [...candidates, { candidate: '' }] },
    'm.call.candidates',
  );
  return phone;
}

/**
 * Sends the pattern (indexes from `from`) and waits for its echo; returns the indexes of it that
 * came back. `expectNone`: waits the whole while (a held call: nothing should come).
 */
export async function echoed(phone: WebrtcPhone, from = 0, expectNone = false): Promise<number[]> {
  await phone.connected();
  await phone.sendPattern(PATTERN, from);
  const mine = () => phone.patternReceived().filter((i) => i >= from && i < from + PATTERN);
  const duplicates = () => mine().length - new Set(mine()).size;
  if (expectNone) await new Promise((r) => setTimeout(r, 1000));
  else
    await waitFor(
      async () => mine().length >= PATTERN * 0.9 || undefined,
      10_000,
      'the echo',
    ).catch(() => undefined);
  if (duplicates() > 0) throw new Error(`${duplicates()} pattern packets came back twice`);
  return mine();
}

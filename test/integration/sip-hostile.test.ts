// Hostile and broken input from the SIP side, through real Kamailio to the bridge (and real
// Synapse behind it): INVITEs with malformed or unusable SDP, for a number nobody has, or from a
// From the bridge cannot safely name a ghost after, are refused with the right status and open
// no room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser } from '../support/bridge-harness.js';
import { rawInvite, startSipBridge } from '../support/sip-phone.js';
import { registerUser, uniqueLocalpart, type TestUser } from '../support/synapse.js';

const DID = '+15550003';
let sb: Switchboard;
let user: TestUser;

// Synapse answers a repeated identical initial /sync from its cache for 2 minutes: each look
// asks with another filter, so a later look cannot be the earlier one's answer.
let looks = 0;
const invites = async () =>
  Object.keys(
    (
      await asUser<{ rooms?: { invite?: Record<string, unknown> } }>(
        user,
        'GET',
        '/_matrix/client/v3/sync?timeout=0&filter=' +
          encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 1 + looks++ } } })),
      )
    ).rooms?.invite ?? {},
  );

beforeAll(async () => {
  user = await registerUser(uniqueLocalpart('siphostile'));
  ({ sb } = await startSipBridge({ dids: { [DID]: user.userId } }));
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 30_000);

const sdp = (media: string, c = 'c=IN IP4 127.0.0.1') =>
  `v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\n${c}\r\nt=0 0\r\n${media}\r\n`;

describe('SIP hostile input', () => {
  it('malformed or unusable SDP is a 488, and rings nobody', async () => {
    expect(await rawInvite({ to: DID, fromUser: 'mallory', body: 'not sdp at all' })).toBe(488);
    expect(
      await rawInvite({ to: DID, fromUser: 'mallory', body: sdp('m=video 4000 RTP/AVP 96') }),
    ).toBe(488);
    expect(
      await rawInvite({
        to: DID,
        fromUser: 'mallory',
        body: sdp('m=audio 4000 RTP/AVP 0', 'c=IN IP6 ::1'),
      }),
    ).toBe(488);
    expect(
      await rawInvite({ to: DID, fromUser: 'mallory', body: sdp('m=audio 4000 RTP/AVP 18') }),
    ).toBe(488); // G.729 only: no transcoding
    expect(await invites()).toEqual([]);
  });

  it('a number nobody has is a 404; a From that cannot name a ghost is a 400', async () => {
    const good = sdp('m=audio 4000 RTP/AVP 0');
    expect(await rawInvite({ to: '+15559999', fromUser: 'mallory', body: good })).toBe(404);
    expect(await rawInvite({ to: DID, fromUser: 'mal%0d%0aX-Evil:1', body: good })).toBe(400);
    expect(await invites()).toEqual([]);
  });
});

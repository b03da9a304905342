// A bridge that stops mid-call ends the call on both sides: the ringing phone gets a 503 at once
// (a 500 through the proxy),
// and the Matrix side gets the hangup (queued while stopping, delivered when it starts again on
// the same database). Real Kamailio, sipp and Synapse.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { roomEvents } from '../support/bridge-harness.js';
import {
  freeUdpPort,
  joinInvitedRoom,
  sipp,
  sipPort,
  startSipBridge,
} from '../support/sip-phone.js';
import { registerUser, uniqueLocalpart, waitFor } from '../support/synapse.js';

const DID = '+15550004';
let sb: Switchboard | undefined;

afterAll(async () => {
  await sb?.stop();
}, 30_000);

describe('SIP bridge restart', () => {
  it('a call ringing when the bridge stops: 503 (500 through the proxy) to the phone, hangup in Matrix after the restart', async () => {
    const user = await registerUser(uniqueLocalpart('siprestart'));
    const database = join(mkdtempSync(join(tmpdir(), 'sb-sip-')), 'switchboard.db');
    const config = { dids: { [DID]: user.userId }, ring_timeout_seconds: 60 };
    ({ sb } = await startSipBridge(config, undefined, { database }));
    const far = sipp(
      'uac-unanswered',
      [
        '-s',
        DID,
        '-p',
        String(await freeUdpPort()),
        '-mp',
        String(await freeUdpPort()),
        `127.0.0.1:${sipPort()}`,
      ],
      // The bridge answers 503; a proxy forwards a 503 as a 500 (RFC 3261 16.7), Kamailio too.
      { final: '500' },
    );
    const room = await joinInvitedRoom(user, 20_000);
    const invite = await waitFor(
      async () => (await roomEvents(user, room, 50)).find((e) => e.type === 'm.call.invite'),
      20_000,
      'the call invite',
    );
    await sb.stop();
    sb = undefined;
    expect(await far.done, far.output()).toBe(0); // the phone got its answer at the stop
    ({ sb } = await startSipBridge(config, undefined, { database }));
    const hangup = await waitFor(
      async () =>
        (await roomEvents(user, room, 50)).find(
          (e) => e.type === 'm.call.hangup' && e.content.call_id === invite.content.call_id,
        ),
      30_000,
      'the hangup after the restart',
    );
    expect(hangup.sender).toBe('@sip_bob=40localhost:localhost');
  });
});

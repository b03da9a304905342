import { describe, expect, it } from 'vitest';
import { callAction, callFromMatrix, callToMatrix } from './call-events.js';

describe('call events', () => {
  it('knows the m.call.* actions and nothing else', () => {
    expect(callAction('m.call.invite')).toBe('invite');
    expect(callAction('m.call.select_answer')).toBe('select_answer');
    expect(callAction('m.call.sdp_stream_metadata_changed')).toBeUndefined();
    expect(callAction('m.room.message')).toBeUndefined();
  });

  it('reads an invite, candidates and a hangup', () => {
    expect(
      callFromMatrix('m.call.invite', {
        call_id: 'c1',
        party_id: 'p1',
        version: '1',
        lifetime: 30000,
        offer: { type: 'offer', sdp: 'v=0\r\n' },
        invitee: '@sip_+15551234:example.org',
      }),
    ).toEqual({
      action: 'invite',
      callId: 'c1',
      partyId: 'p1',
      version: '1',
      lifetime: 30000,
      sdp: 'v=0\r\n',
      sdpType: 'offer',
      invitee: '@sip_+15551234:example.org',
    });
    expect(
      callFromMatrix('m.call.candidates', {
        call_id: 'c1',
        version: 0,
        candidates: [{ candidate: 'candidate:1 1 UDP 1 1.2.3.4 5 typ host', sdpMLineIndex: 0 }, 7],
      }),
    ).toEqual({
      action: 'candidates',
      callId: 'c1',
      version: 0,
      candidates: [{ candidate: 'candidate:1 1 UDP 1 1.2.3.4 5 typ host', sdpMLineIndex: 0 }],
    });
    expect(callFromMatrix('m.call.hangup', { call_id: 'c1', reason: 'user_hangup' })).toEqual({
      action: 'hangup',
      callId: 'c1',
      reason: 'user_hangup',
    });
    expect(callFromMatrix('m.call.hangup', { reason: 'no call id' })).toBeUndefined();
  });

  it('writes an invite and an answer as the spec has them', () => {
    expect(callToMatrix({ action: 'invite', callId: 'c2', sdp: 'v=0' }, 'ghost')).toEqual({
      type: 'm.call.invite',
      content: {
        call_id: 'c2',
        party_id: 'ghost',
        version: '1',
        lifetime: 60000,
        offer: { type: 'offer', sdp: 'v=0' },
      },
    });
    expect(
      callToMatrix({ action: 'answer', callId: 'c2', sdp: 'v=0' }, 'g').content.answer,
    ).toEqual({ type: 'answer', sdp: 'v=0' });
    expect(
      callToMatrix({ action: 'negotiate', callId: 'c2', sdp: 'v=0', sdpType: 'answer' }, 'g')
        .content.description,
    ).toEqual({ type: 'answer', sdp: 'v=0' });
  });
});

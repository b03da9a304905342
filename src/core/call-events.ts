/** Matrix VoIP (`m.call.*`) content to and from the connector API's CallSignal. */
import type { CallAction, CallCandidate, CallSignal } from '../connector.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

const ACTIONS: readonly CallAction[] = [
  'invite',
  'candidates',
  'answer',
  'select_answer',
  'negotiate',
  'hangup',
  'reject',
];

/** The action of an `m.call.*` event type, or undefined for any other type. */
export function callAction(type: string): CallAction | undefined {
  if (!type.startsWith('m.call.')) return undefined;
  const action = type.slice('m.call.'.length) as CallAction;
  return ACTIONS.includes(action) ? action : undefined;
}

function candidates(v: unknown): CallCandidate[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.flatMap((c) => {
    const o = obj(c);
    const candidate = str(o?.candidate);
    if (candidate === undefined) return [];
    const sdpMid = str(o?.sdpMid);
    const sdpMLineIndex = num(o?.sdpMLineIndex);
    return [
      {
        candidate,
        ...(sdpMid !== undefined ? { sdpMid } : {}),
        ...(sdpMLineIndex !== undefined ? { sdpMLineIndex } : {}),
      },
    ];
  });
}

/** A call event's content as a CallSignal; undefined when it is not one (no `call_id`). */
export function callFromMatrix(type: string, content: Json): CallSignal | undefined {
  const action = callAction(type);
  const callId = str(content.call_id);
  if (!action || !callId) return undefined;
  const description = obj(
    action === 'invite'
      ? content.offer
      : action === 'answer'
        ? content.answer
        : content.description,
  );
  const sdp = str(description?.sdp);
  const sdpType = str(description?.type);
  const version = str(content.version) ?? num(content.version);
  const signal: CallSignal = { action, callId };
  const partyId = str(content.party_id);
  if (partyId !== undefined) signal.partyId = partyId;
  if (version !== undefined) signal.version = version;
  if (sdp !== undefined) signal.sdp = sdp;
  if (sdpType === 'offer' || sdpType === 'answer') signal.sdpType = sdpType;
  const list = candidates(content.candidates);
  if (list) signal.candidates = list;
  const lifetime = num(content.lifetime);
  if (lifetime !== undefined) signal.lifetime = lifetime;
  const invitee = str(content.invitee);
  if (invitee !== undefined) signal.invitee = invitee;
  const reason = str(content.reason);
  if (reason !== undefined) signal.reason = reason;
  const selected = str(content.selected_party_id);
  if (selected !== undefined) signal.selectedPartyId = selected;
  return signal;
}

/** The `m.call.*` event a CallSignal becomes; `partyId` is the sender's when the signal has none. */
export function callToMatrix(signal: CallSignal, partyId: string): { type: string; content: Json } {
  const content: Json = {
    call_id: signal.callId,
    party_id: signal.partyId ?? partyId,
    version: signal.version ?? '1',
  };
  const sdpType = signal.sdpType ?? (signal.action === 'answer' ? 'answer' : 'offer');
  if (signal.sdp !== undefined) {
    const key =
      signal.action === 'invite' ? 'offer' : signal.action === 'answer' ? 'answer' : 'description';
    content[key] = { type: sdpType, sdp: signal.sdp };
  }
  if (signal.candidates) content.candidates = signal.candidates;
  if (signal.action === 'invite') content.lifetime = signal.lifetime ?? 60_000;
  else if (signal.lifetime !== undefined) content.lifetime = signal.lifetime;
  if (signal.invitee !== undefined) content.invitee = signal.invitee;
  if (signal.reason !== undefined) content.reason = signal.reason;
  if (signal.selectedPartyId !== undefined) content.selected_party_id = signal.selectedPartyId;
  return { type: `m.call.${signal.action}`, content };
}

/** What the bridge reads from MUC presences (XEP-0045 §7, §9). */
import type { Element } from '@xmpp/xml';
import { NS } from '../connection/stanzas.js';

export interface OccupantPresence {
  available: boolean;
  /** Status codes: 110 self, 210 nick changed by the room, 303 nick change, 307 kicked, 301 banned. */
  codes: Set<string>;
  /** The new nick of a nick change (303). */
  newNick?: string;
  /** The occupant's real JID, in a non-anonymous room. */
  realJid?: string;
  affiliation?: string;
  role?: string;
  reason?: string;
  /** XEP-0421: the room's stable id of the occupant (the same across nick changes). */
  occupantId?: string;
  /** For an error presence: the condition (`conflict`, `forbidden`, …). */
  error?: string;
  errorText?: string;
}

export function parseOccupantPresence(el: Element): OccupantPresence {
  const x = el.getChild('x', NS.mucUser);
  const item = x?.getChild('item');
  const errorEl = el.attrs.type === 'error' ? el.getChild('error') : undefined;
  const error = errorEl
    ?.getChildElements()
    .find((c) => c.getNS() === NS.stanzas && c.name !== 'text')?.name;
  const reason = item?.getChildText('reason');
  return {
    available: el.attrs.type !== 'unavailable' && el.attrs.type !== 'error',
    codes: new Set(
      (x?.getChildren('status') ?? []).map((s) => s.attrs.code).filter((c): c is string => !!c),
    ),
    ...(item?.attrs.nick ? { newNick: item.attrs.nick } : {}),
    ...(item?.attrs.jid ? { realJid: item.attrs.jid } : {}),
    ...(item?.attrs.affiliation ? { affiliation: item.attrs.affiliation } : {}),
    ...(item?.attrs.role ? { role: item.attrs.role } : {}),
    ...(reason ? { reason } : {}),
    ...(el.getChild('occupant-id', NS.occupantId)?.attrs.id
      ? { occupantId: el.getChild('occupant-id', NS.occupantId)!.attrs.id! }
      : {}),
    ...(error ? { error } : {}),
    ...(errorEl?.getChildText('text', NS.stanzas)
      ? { errorText: errorEl.getChildText('text', NS.stanzas)! }
      : {}),
  };
}

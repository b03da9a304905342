/**
 * MAM (XEP-0313) catch-up of a MUC: what the room said while the bridge was away, fetched from
 * the room's archive (Prosody's mod_muc_mam) after the last stanza-id the bridge saw, page by
 * page (RSM, XEP-0059), oldest first, with the archive's timestamps. When the archive no longer
 * has that id, it is asked from that message's time on instead. Core drops what it bridged
 * already (the stanza-ids are the messages' ids), so an overlap costs nothing.
 */
import { xml, type Element } from '@xmpp/xml';
import type { ComponentLink } from '../connection/connection.js';
import { newId, NS } from '../connection/stanzas.js';

export const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_DATA = 'jabber:x:data';
const PAGE = 100;
/** The most messages one catch-up bridges (the first ones after the last seen; the rest are told missing). */
export const MAX_CATCH_UP = 1000;

/** The last message of a room the bridge saw: its stanza-id and time. */
export interface LastSeen {
  id: string;
  at: number;
}

/** A message from the archive: its stanza-id, its time and the message as the room sent it. */
export interface Archived {
  id: string;
  at?: number;
  message: Element;
}

export class MamQueries {
  private readonly waiting = new Map<string, { room: string; results: Archived[] }>();

  /** Takes a MAM result message for a query under way; true when the stanza was one. */
  onResult(el: Element): boolean {
    const result = el.getChild('result', NS_MAM);
    if (!result) return false;
    const query = this.waiting.get(result.attrs.queryid ?? '');
    const forwarded = result.getChild('forwarded', NS_FORWARD);
    const message = forwarded?.getChild('message');
    // Only the queried room's answers count (anyone may send a stanza that looks like one).
    if (!query || el.attrs.from !== query.room || !message || !result.attrs.id) return true;
    const stamp = Date.parse(forwarded?.getChild('delay', NS.delay)?.attrs.stamp ?? '');
    query.results.push({
      id: result.attrs.id,
      ...(Number.isFinite(stamp) ? { at: stamp } : {}),
      message,
    });
    return true;
  }

  /**
   * What `room` archived after `last`, oldest first, asked as `from`: the first MAX_CATCH_UP of
   * it, and whether the archive had more after them (`cut`).
   */
  async since(
    link: ComponentLink,
    room: string,
    from: string,
    last: LastSeen,
  ): Promise<{ archived: Archived[]; cut: boolean }> {
    const out: Archived[] = [];
    let after: string | undefined = last.id;
    let start: number | undefined;
    for (;;) {
      let page: { results: Archived[]; complete: boolean; lastId?: string };
      try {
        page = await this.page(link, room, from, { after, start });
      } catch (err) {
        // The id is no longer archived (expired): from its time on instead.
        if (after !== last.id || !/item-not-found/.test(String(err))) throw err;
        after = undefined;
        start = last.at;
        continue;
      }
      for (const r of page.results) if (r.id !== last.id) out.push(r);
      const done = page.complete || !page.lastId || page.results.length === 0;
      if (done || out.length >= MAX_CATCH_UP)
        return { archived: out.slice(0, MAX_CATCH_UP), cut: out.length > MAX_CATCH_UP || !done };
      after = page.lastId;
      start = undefined;
    }
  }

  /**
   * The archived message with stanza-id `id` (XEP-0313 `ids` field, which Prosody 0.12's archive
   * answers), or undefined: not archived, or an archive that does not take the field.
   */
  async byId(
    link: ComponentLink,
    room: string,
    from: string,
    id: string,
  ): Promise<Archived | undefined> {
    const page = await this.page(link, room, from, { ids: [id] }).catch(() => undefined);
    return page?.results.find((r) => r.id === id);
  }

  /**
   * The stanza-id of the message `room` archived from `start` on whose stanza-id or own id
   * (origin-id, else id attribute) is `id`: read forward, at most `pages` pages; undefined when
   * not there (or the archive would not answer).
   */
  async find(
    link: ComponentLink,
    room: string,
    from: string,
    id: string,
    start: number,
    pages = 5,
  ): Promise<string | undefined> {
    let after: string | undefined;
    for (let i = 0; i < pages; i++) {
      const page = await this.page(link, room, from, { after, start }).catch(() => undefined);
      const hit = page?.results.find((r) => r.id === id || ownId(r.message) === id);
      if (hit) return hit.id;
      if (!page?.lastId || page.complete || page.results.length === 0) return undefined;
      after = page.lastId;
    }
    return undefined;
  }

  private async page(
    link: ComponentLink,
    room: string,
    from: string,
    q: { after?: string; start?: number; ids?: string[] },
  ): Promise<{ results: Archived[]; complete: boolean; lastId?: string }> {
    const queryid = newId();
    const entry = { room, results: [] as Archived[] };
    this.waiting.set(queryid, entry);
    try {
      const answer = await link.request(
        xml(
          'iq',
          { type: 'set', to: room, from, id: newId() },
          xml(
            'query',
            { xmlns: NS_MAM, queryid },
            xml(
              'x',
              { xmlns: NS_DATA, type: 'submit' },
              xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
              q.start !== undefined
                ? xml('field', { var: 'start' }, xml('value', {}, new Date(q.start).toISOString()))
                : null,
              q.ids ? xml('field', { var: 'ids' }, ...q.ids.map((i) => xml('value', {}, i))) : null,
            ),
            xml(
              'set',
              { xmlns: NS_RSM },
              xml('max', {}, String(PAGE)),
              q.after !== undefined ? xml('after', {}, q.after) : null,
            ),
          ),
        ),
        30_000,
      );
      const fin = answer.getChild('fin', NS_MAM);
      const lastId = fin?.getChild('set', NS_RSM)?.getChildText('last') ?? undefined;
      return {
        results: entry.results,
        complete: fin?.attrs.complete === 'true',
        ...(lastId ? { lastId } : {}),
      };
    } finally {
      this.waiting.delete(queryid);
    }
  }
}

/** A message's own id: its XEP-0359 origin-id, else its id attribute. */
const ownId = (m: Element) => m.getChild('origin-id', NS.sid)?.attrs.id ?? m.attrs.id;

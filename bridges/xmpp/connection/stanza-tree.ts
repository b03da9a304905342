/**
 * A stanza as plain data (JSON), to keep in the bridge's store and build again later: what an
 * emit's ref carries when its outcome needs the stanza itself (a gateway room's reflection).
 */
import { Element } from '@xmpp/xml';

export interface StanzaTree {
  name: string;
  attrs: Record<string, string>;
  children: (StanzaTree | string)[];
}

export function stanzaTree(el: Element): StanzaTree {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) if (v !== undefined) attrs[k] = v;
  return {
    name: el.name,
    attrs,
    children: el.children.map((c) => (typeof c === 'string' ? c : stanzaTree(c))),
  };
}

export function stanzaOf(tree: StanzaTree): Element {
  const el = new Element(tree.name, { ...tree.attrs });
  for (const c of tree.children) el.append(typeof c === 'string' ? c : stanzaOf(c));
  return el;
}

/** The parts of xmpp.js (untyped: @xmpp/component-core 0.13 CommonJS, @xmpp/xml and @xmpp/jid 0.14 ESM) that the XMPP bridge uses. */
declare module '@xmpp/xml' {
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    attr(name: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildByAttr(
      attr: string,
      value: string,
      xmlns?: string,
      recursive?: boolean,
    ): Element | undefined;
    getChildElements(): Element[];
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    append(...children: (Element | string)[]): Element;
    c(name: string, attrs?: Record<string, string | undefined>): Element;
    t(text: string): Element;
    up(): Element;
    root(): Element;
    /** Removes a child element. */
    remove(el: Element): Element;
    toString(): string;
  }
  /** The XML stream parser of @xmpp/connection: each stanza-level element, once it is whole. */
  export class Parser {
    write(data: string): void;
    on(event: 'element', listener: (el: Element) => void): this;
  }
  export type Child = Element | string | undefined | null | false | Child[];
  export function xml(
    name: string,
    attrs?: Record<string, string | number | undefined> | null,
    ...children: Child[]
  ): Element;
  export default xml;
}

declare module '@xmpp/jid' {
  export class JID {
    constructor(local: string | null | undefined, domain: string, resource?: string | null);
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    equals(other: JID): boolean;
    toString(unescape?: boolean): string;
    getLocal(unescape?: boolean): string;
  }
  export function jid(address: string): JID;
  export function jid(local: string | null, domain: string, resource?: string): JID;
  export function escapeLocal(local: string): string;
  export function unescapeLocal(local: string): string;
  export function detectEscape(local: string): boolean;
}

declare module '@xmpp/component-core' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  export class Component extends EventEmitter {
    constructor(options: { service: string; domain: string });
    status: string;
    options: { service: string; domain: string };
    connect(service: string): Promise<void>;
    open(opts: { domain: string; lang?: string }): Promise<Element>;
    authenticate(id: string, password: string): Promise<void>;
    disconnect(timeout?: number): Promise<void>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
    /** Writes serialised stanzas as they are; resolves when the socket has taken them. */
    write(data: string): Promise<void>;
    /** The TCP socket while connected. */
    socket: import('node:net').Socket | null;
  }
}

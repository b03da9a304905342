/** The part of @xmpp/client 0.14 (untyped ESM) the tests use. */
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  export { xml } from '@xmpp/xml';
  export interface Client extends EventEmitter {
    jid?: { toString(): string; bare(): { toString(): string } };
    status: string;
    reconnect: { stop(): void };
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
  }
  export function client(options: {
    service: string;
    domain: string;
    username: string;
    password?: string;
    resource?: string;
    credentials?: (
      authenticate: (
        creds: { username: string; password: string },
        mechanism: string,
      ) => Promise<void>,
    ) => Promise<void>;
  }): Client;
}

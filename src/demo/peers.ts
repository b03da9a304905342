/**
 * Demo peers: each bridge in the demo, with the local server it talks to (if any). A bridge
 * joins the demo by adding one entry to DEMO_PEERS: its ports (each with a flag), how its server
 * is installed, started and stopped (test/peers/<name>.sh, as in the tests), the config section
 * it contributes under `bridges.<id>`, and what the banner tells people about joining.
 */
import type { DemoOptions, DemoPort } from './options.js';
import type { PeerScripts } from './scripts.js';
import { echoPeer } from './peer-echo.js';
import { ircPeer } from './peer-irc.js';
import { xmppPeer } from './peer-xmpp.js';
import { sipPeer } from './peer-sip.js';

export interface DemoPeerContext {
  opts: DemoOptions;
  scripts: PeerScripts;
}

/** A Matrix room of the demo and what it is. */
export interface DemoRoom {
  /** Alias localpart under the bridge's prefix: `demo_#demo` for `#irc_demo_#demo:<server>`. */
  aliasLocalpart: string;
  about: string;
}

export interface DemoPeer {
  /** The bridge id: its section in `bridges`, and the default prefix `<id>_`. */
  bridge: string;
  /** The ports its server listens on (127.0.0.1), each movable by its flag. */
  ports: DemoPort[];
  /** Installs what is missing, or throws a DemoError saying what to run (for example as root). */
  install(ctx: DemoPeerContext): Promise<void>;
  /** Starts its server (and waits until it takes connections); PID files in the state folder. */
  start(ctx: DemoPeerContext): Promise<void>;
  /** Stops whatever it started, by PID file; also run for leftovers of a killed demo. */
  stop(ctx: DemoPeerContext): Promise<void>;
  /** Its bridge's config section (without `enabled`), valid for the bridge's config schema. */
  section(ctx: DemoPeerContext): Record<string, unknown>;
  /** The rooms to join from a Matrix client. */
  rooms(ctx: DemoPeerContext): DemoRoom[];
  /** How to join from the network's own clients: `label: value` pairs for the banner. */
  outside(ctx: DemoPeerContext): [string, string][];
  /** The banner's heading for `outside`, e.g. `From any IRC client`. */
  outsideTitle?: string;
}

/** Every bridge in the demo, in start order (stopped in reverse). */
export const DEMO_PEERS: DemoPeer[] = [ircPeer, xmppPeer, sipPeer, echoPeer];

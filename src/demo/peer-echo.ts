/** The echo bridge in the demo: no server, one room that says everything back. */
import type { DemoPeer } from './peers.js';

const none = async () => undefined;

export const echoPeer: DemoPeer = {
  bridge: 'echo',
  ports: [],
  install: none,
  start: none,
  stop: none,
  section: () => ({}),
  rooms: () => [
    { aliasLocalpart: 'lobby', about: 'the echo bridge: everything said is said back' },
  ],
  outside: () => [],
};

import { xml, type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { PortalKey, RemoteEvent, RemoteUserId } from '../../../src/connector.js';
import { KeyedChain } from '../util/chain.js';
import type { XmppDeps } from '../deps.js';
import { GhostAvatars } from './ghost-avatars.js';
import { sha1Hex } from './vcard.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(60, 7)]);
const BIG = Buffer.concat([PNG, Buffer.alloc(5_000)]);
const src = {
  ghost: 'dev@conference.x.org/Carl' as RemoteUserId,
  portal: 'muc/dev@conference.x.org' as PortalKey,
  from: 'matt\\3ahs.test@matrix.x.org/matrix',
  to: 'dev@conference.x.org/Carl',
};

/** A bridge whose XMPP user answers vCard requests with `photo`; `kv` is the store (kept across "restarts"). */
function setUp(photo: Buffer, kv = new Map<string, unknown>()) {
  const uploads: Uint8Array[] = [];
  const profiles: unknown[] = [];
  const events: RemoteEvent[] = [];
  const logs: string[] = [];
  const log = { warn: (_: unknown, m: string) => logs.push(m), info: () => {}, debug: () => {} };
  const d = {
    ctx: {
      config: { avatars: { enabled: true, max_bytes: 1_000 } },
      log,
      kv: {
        get: async (k: string) => kv.get(k),
        set: async (k: string, v: unknown) => void kv.set(k, v),
      },
      uploadMedia: async (data: Uint8Array) => {
        uploads.push(data);
        return `mxc://x/${uploads.length}`;
      },
      setGhostProfile: async (_: unknown, p: unknown) => void profiles.push(p),
    },
    link: {
      request: async (el: Element) =>
        xml(
          'iq',
          { type: 'result', id: el.attrs.id },
          xml(
            'vCard',
            { xmlns: 'vcard-temp' },
            xml(
              'PHOTO',
              {},
              xml('TYPE', {}, 'image/png'),
              xml('BINVAL', {}, photo.toString('base64')),
            ),
          ),
        ),
    },
    chain: new KeyedChain(),
    emit: async (e: RemoteEvent) => void events.push(e),
  } as unknown as XmppDeps;
  const avatars = new GhostAvatars(d);
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { avatars, uploads, profiles, events, logs, kv, settle };
}

describe("XMPP users' avatars on their ghosts", () => {
  it('fetches and uploads a new avatar once, and sets it on the ghost', async () => {
    const t = setUp(PNG);
    t.avatars.told(src, sha1Hex(PNG));
    t.avatars.told(src, sha1Hex(PNG)); // the same hash again: nothing
    await t.settle();
    expect(t.uploads).toHaveLength(1);
    expect(t.profiles).toEqual([{ avatarUrl: 'mxc://x/1' }]);
    expect(t.events.some((e) => e.kind === 'presence')).toBe(true); // the ghost wears it now
  });

  it('never uploads an unchanged avatar again, after a restart either (the store has it)', async () => {
    const first = setUp(PNG);
    first.avatars.told(src, sha1Hex(PNG));
    await first.settle();
    const again = setUp(PNG, first.kv);
    again.avatars.told(src, sha1Hex(PNG));
    await again.settle();
    expect(again.uploads).toHaveLength(0);
    // Another ghost with the same image: the upload is shared.
    again.avatars.told({ ...src, ghost: 'bob@x.org' as RemoteUserId }, sha1Hex(PNG));
    await again.settle();
    expect(again.uploads).toHaveLength(0);
    expect(again.profiles).toEqual([{ avatarUrl: 'mxc://x/1' }]);
  });

  it('refuses an avatar over avatars.max_bytes with a log line, and does not ask again', async () => {
    const t = setUp(BIG);
    t.avatars.told(src, sha1Hex(BIG));
    await t.settle();
    expect(t.uploads).toHaveLength(0);
    expect(t.logs).toEqual(['XMPP avatar over avatars.max_bytes: refused']);
    const later = setUp(BIG, t.kv);
    later.avatars.told(src, sha1Hex(BIG));
    await later.settle();
    expect(later.logs).toEqual([]);
  });

  it('a removed avatar (empty XEP-0153 photo) is removed from the ghost', async () => {
    const t = setUp(PNG);
    t.avatars.told(src, sha1Hex(PNG));
    await t.settle();
    t.avatars.told(src, '');
    await t.settle();
    expect(t.profiles).toEqual([{ avatarUrl: 'mxc://x/1' }, { avatarUrl: '' }]);
  });
});

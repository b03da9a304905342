import { describe, expect, it } from 'vitest';
import { CAPS_NODE, capsVer, type Identity } from './caps.js';
import { discoInfo, USER_CAPS_VER } from './disco.js';

describe('XEP-0115 ver', () => {
  it('is the hash of the example in XEP-0115 §5.2', () => {
    const ver = capsVer(
      [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
      [
        'http://jabber.org/protocol/disco#info',
        'http://jabber.org/protocol/caps',
        'http://jabber.org/protocol/muc',
        'http://jabber.org/protocol/disco#items',
      ],
    );
    expect(ver).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('does not depend on the order features are listed in', () => {
    const id = [{ category: 'client', type: 'pc' }];
    expect(capsVer(id, ['b', 'a'])).toBe(capsVer(id, ['a', 'b']));
  });
});

describe("a Matrix user's capabilities", () => {
  const to = 'alice\\3aexample.org@matrix.example.org';
  const node = `${CAPS_NODE}#${USER_CAPS_VER}`;

  it('are answered on node#ver, and hash to that ver', () => {
    const info = discoInfo(to, 'matrix.example.org', node)!;
    expect(info.attrs.node).toBe(node);
    const { category = '', type = '', name } = info.getChild('identity')!.attrs;
    const identity: Identity = { category, type, ...(name ? { name } : {}) };
    const features = info.getChildren('feature').map((f) => String(f.attrs.var));
    expect(capsVer([identity], features)).toBe(USER_CAPS_VER);
    expect(features).toContain('urn:xmpp:avatar:metadata+notify');
  });

  it('are not answered on another node', () => {
    expect(discoInfo(to, 'matrix.example.org', `${CAPS_NODE}#other`)).toBeUndefined();
    expect(discoInfo('matrix.example.org', 'matrix.example.org', node)).toBeUndefined();
  });
});

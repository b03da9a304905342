import { describe, expect, it } from 'vitest';
import { xml, type Element } from '@xmpp/xml';
import { Iqs, IqError } from './iq.js';
import { domainOf } from './connection.js';
import { NS } from './stanzas.js';

const setup = () => {
  const sent: Element[] = [];
  const iqs = new Iqs(async (el) => {
    sent.push(el);
  });
  return { iqs, sent };
};

describe('iqs on the component connection', () => {
  it('matches an answer to its question by id, and an error answer to its condition', async () => {
    const { iqs, sent } = setup();
    const q = iqs.request(xml('iq', { type: 'get', from: 'a@m.org', to: 'r@c.org' }), 1000);
    const id = sent[0]!.attrs.id!;
    expect(id).toBeTruthy();
    iqs.onIq(xml('iq', { type: 'result', id: 'other' }));
    iqs.onIq(xml('iq', { type: 'result', id }, xml('query', { xmlns: 'x' })));
    expect((await q).getChild('query', 'x')).toBeTruthy();

    const refused = iqs.request(xml('iq', { type: 'set', id: 'k1', from: 'a@m.org' }), 1000);
    iqs.onIq(
      xml(
        'iq',
        { type: 'error', id: 'k1' },
        xml(
          'error',
          { type: 'auth' },
          xml('forbidden', { xmlns: NS.stanzas }),
          xml('text', { xmlns: NS.stanzas }, 'not a moderator'),
        ),
      ),
    );
    const err = (await refused.catch((e: unknown) => e)) as IqError;
    expect(err).toBeInstanceOf(IqError);
    expect(err.condition).toBe('forbidden');
    expect(err.text).toBe('not a moderator');
  });

  it('times out a question nobody answers', async () => {
    const { iqs } = setup();
    await expect(iqs.request(xml('iq', { type: 'get' }), 20)).rejects.toThrow(/no answer/);
  });

  it('answers the gets and sets it handles, and service-unavailable or bad-request to the others', () => {
    const { iqs, sent } = setup();
    iqs.answer('ns:a', 'query', (iq) => xml('query', { xmlns: 'ns:a' }, iq.attrs.to));
    const ask = (type: string, ...children: Element[]) =>
      iqs.onIq(xml('iq', { type, id: 'q', from: 'u@s.org/r', to: 'x@m.org' }, ...children));
    ask('get', xml('query', { xmlns: 'ns:a' }));
    ask('get', xml('query', { xmlns: 'ns:b' }));
    ask('set', xml('query', { xmlns: 'ns:a' })); // a get's handler does not take sets
    ask('get');
    iqs.answer('ns:a', 'do', () => null, 'set');
    ask('set', xml('do', { xmlns: 'ns:a' }));
    const [ok, unknown, set, empty, done] = sent;
    expect(ok!.attrs).toMatchObject({ type: 'result', id: 'q', to: 'u@s.org/r', from: 'x@m.org' });
    expect(ok!.getChild('query', 'ns:a')!.getText()).toBe('x@m.org');
    expect(unknown!.attrs.type).toBe('error');
    expect(unknown!.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeTruthy();
    expect(set!.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeTruthy();
    expect(empty!.getChild('error')!.getChild('bad-request', NS.stanzas)).toBeTruthy();
    expect(done!.attrs.type).toBe('result'); // null: done, an empty result
    expect(done!.children).toEqual([]);
  });

  it('rejects what waits when it stops', async () => {
    const { iqs } = setup();
    const q = iqs.request(xml('iq', { type: 'get' }), 10_000);
    iqs.stop();
    await expect(q).rejects.toThrow(/stopped/);
  });
});

describe('domainOf', () => {
  it('reads the domain of an address on its string', () => {
    expect(domainOf('a@m.org/res')).toBe('m.org');
    expect(domainOf('a@m.org/r@x.org')).toBe('m.org');
    expect(domainOf('#room#server@m.org/nick')).toBe('m.org');
    expect(domainOf('m.org')).toBe('m.org');
    expect(domainOf('a@m.org.evil.org')).toBe('m.org.evil.org');
    expect(domainOf('x@@')).toBe('');
  });
});

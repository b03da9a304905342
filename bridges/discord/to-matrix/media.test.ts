import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AvatarLinks, DiscordMedia } from './media.js';

const media = (cdnUrl?: string) =>
  new DiscordMedia({
    upload: async () => 'mxc://x/y',
    kv: { get: async () => undefined, set: async () => undefined, delete: async () => undefined },
    log: pino({ level: 'silent' }),
    maxBytes: 100,
    ...(cdnUrl ? { cdnUrl } : {}),
  });

describe('DiscordMedia', () => {
  it('fetches from Discord’s CDN and media proxy only (or cdn_url alone when set)', () => {
    const m = media();
    expect(m.onCdn('https://cdn.discordapp.com/attachments/1/2/a.png')).toBe(true);
    expect(m.onCdn('https://media.discordapp.net/stickers/1.gif')).toBe(true);
    expect(m.onCdn('https://cdn.discordapp.com.evil.example/a.png')).toBe(false);
    expect(m.onCdn('http://cdn.discordapp.com/a.png')).toBe(false);
    expect(m.onCdn('not a url')).toBe(false);
    const local = media('http://127.0.0.1:1234/cdn');
    expect(local.onCdn('http://127.0.0.1:1234/cdn/a.png')).toBe(true);
    expect(local.onCdn('https://cdn.discordapp.com/a.png')).toBe(false);
  });

  it('refuses a file known to be over the cap without fetching it', async () => {
    await expect(media().fetch('https://cdn.discordapp.com/a.bin', 101)).rejects.toThrow(
      /larger than the bridge re-uploads/,
    );
    expect(await media().reupload('https://elsewhere.example/a.png', { name: 'a.png' })).toBe(
      undefined,
    );
  });
});

describe('AvatarLinks', () => {
  it('reuses an avatar’s link for half an hour, then makes a new one', async () => {
    let now = 0;
    let made = 0;
    const links = new AvatarLinks(() => now);
    const make = async () => `https://links.example/${++made}`;
    expect(await links.link('mxc://x/a', make)).toBe('https://links.example/1');
    now += 29 * 60_000;
    expect(await links.link('mxc://x/a', make)).toBe('https://links.example/1');
    expect(await links.link('mxc://x/b', make)).toBe('https://links.example/2');
    now += 2 * 60_000;
    expect(await links.link('mxc://x/a', make)).toBe('https://links.example/3');
  });

  it('gives undefined when links cannot be made (public_links off, or failing)', async () => {
    const links = new AvatarLinks();
    expect(await links.link('mxc://x/a', async () => undefined)).toBe(undefined);
    expect(await links.link('mxc://x/b', () => Promise.reject(new Error('down')))).toBe(undefined);
  });
});

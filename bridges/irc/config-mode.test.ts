import { describe, expect, it } from 'vitest';
import { ircConfigSchema } from './config.js';

describe('IRC config: mode', () => {
  const parse = (mode: unknown) =>
    ircConfigSchema.safeParse({ networks: { libera: { host: 'irc.libera.chat', mode } } });

  it('takes puppets and relay, and leaves it unset (puppets) by default', () => {
    expect(parse('relay').data?.networks.libera?.mode).toBe('relay');
    expect(parse('puppets').data?.networks.libera?.mode).toBe('puppets');
    expect(parse(undefined).data?.networks.libera?.mode).toBeUndefined();
  });

  it('names the key and the choices in its error', () => {
    const issues = parse('bot').error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual(['networks.libera.mode: must be puppets or relay']);
  });
});

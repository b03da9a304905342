import { describe, expect, it } from 'vitest';
import { isInfiniteCreator, mergeGhostLevels, redactLevel } from './power-levels.js';

const bot = '@bot:hs';
const ghost = (n: string) => `@irc_${n}:hs`;
const isGhost = (u: string) => u.startsWith('@irc_');
const room = (users: Record<string, number>, extra: Record<string, unknown> = {}) => ({
  users,
  users_default: 0,
  events: { 'm.room.power_levels': 100 },
  ...extra,
});

describe('mergeGhostLevels', () => {
  it('sets ghost levels and keeps everything else of the content', () => {
    const r = mergeGhostLevels(room({ [bot]: 100, '@alice:hs': 50 }, { ban: 50 }), {
      bot,
      levels: new Map([
        [ghost('op'), 50],
        [ghost('voice'), 10],
      ]),
      complete: false,
      isGhost,
    });
    expect(r).toEqual({
      changed: true,
      content: room(
        { [bot]: 100, '@alice:hs': 50, [ghost('op')]: 50, [ghost('voice')]: 10 },
        { ban: 50 },
      ),
    });
  });

  it('removes an entry at or below users_default, and answers unchanged when nothing changes', () => {
    const before = room({ [bot]: 100, [ghost('op')]: 50 });
    const r = mergeGhostLevels(before, {
      bot,
      levels: new Map([[ghost('op'), 0]]),
      complete: false,
      isGhost,
    });
    expect(r).toEqual({ changed: true, content: room({ [bot]: 100 }) });
    expect(
      mergeGhostLevels(before, {
        bot,
        levels: new Map([[ghost('op'), 50]]),
        complete: false,
        isGhost,
      }),
    ).toEqual({ changed: false });
  });

  it('a complete list resets other ghosts but never Matrix users', () => {
    const r = mergeGhostLevels(room({ [bot]: 100, [ghost('gone')]: 50, '@alice:hs': 50 }), {
      bot,
      levels: new Map([[ghost('op'), 50]]),
      complete: true,
      isGhost,
    });
    expect(r).toEqual({
      changed: true,
      content: room({ [bot]: 100, '@alice:hs': 50, [ghost('op')]: 50 }),
    });
  });

  it("never touches the bot, caps below the bot's level and leaves its equals alone", () => {
    const levels50 = { events: { 'm.room.power_levels': 50 } };
    const r = mergeGhostLevels(room({ [bot]: 90, [ghost('peer')]: 90 }, levels50), {
      bot,
      levels: new Map([
        [bot, 0],
        [ghost('peer'), 0],
        [ghost('op'), 100],
        ['@alice:hs', 50],
      ]),
      complete: false,
      isGhost: (u) => isGhost(u) || u === bot,
    });
    expect(r).toEqual({
      changed: true,
      content: room({ [bot]: 90, [ghost('peer')]: 90, [ghost('op')]: 89 }, levels50),
    });
  });

  it('does nothing where the bot may not change the power levels', () => {
    expect(
      mergeGhostLevels(room({ [bot]: 50 }), {
        bot,
        levels: new Map([[ghost('op'), 50]]),
        complete: false,
        isGhost,
      }),
    ).toEqual({ changed: false, reason: 'bot-lacks-power' });
    // Without an events entry, state_default (50 by the spec's default) applies.
    expect(
      mergeGhostLevels(
        { users: { [bot]: 50 } },
        { bot, levels: new Map([[ghost('op'), 25]]), complete: false, isGhost },
      ),
    ).toEqual({ changed: true, content: { users: { [bot]: 50, [ghost('op')]: 25 } } });
  });

  it('in room versions 12+, the creator bot (not in users) may set any level', () => {
    expect(
      mergeGhostLevels(room({}), {
        bot,
        botIsCreator: true,
        levels: new Map([[ghost('op'), 50]]),
        complete: false,
        isGhost,
      }),
    ).toEqual({ changed: true, content: room({ [ghost('op')]: 50 }) });
    const create = (v: string, sender = bot, extra = {}) => ({
      sender,
      content: { room_version: v, ...extra },
    });
    expect(isInfiniteCreator(create('12'), bot)).toBe(true);
    expect(isInfiniteCreator(create('11'), bot)).toBe(false);
    expect(isInfiniteCreator(create('12', '@alice:hs'), bot)).toBe(false);
    expect(isInfiniteCreator(create('12', '@alice:hs', { additional_creators: [bot] }), bot)).toBe(
      true,
    );
    expect(isInfiniteCreator(create('org.example.custom'), bot)).toBe(false);
    expect(isInfiniteCreator(undefined, bot)).toBe(false);
  });
});

describe('redactLevel', () => {
  it('is the room’s `redact`, else the spec’s default 50', () => {
    expect(redactLevel({ redact: 75 })).toBe(75);
    expect(redactLevel({ redact: 0 })).toBe(0);
    expect(redactLevel({ redact: '75' })).toBe(50);
    expect(redactLevel({})).toBe(50);
    expect(redactLevel(undefined)).toBe(50);
  });
});

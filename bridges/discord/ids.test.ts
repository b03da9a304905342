import { describe, expect, it } from 'vitest';
import {
  makeOwnReactionId,
  parseAliasLocalpart,
  parseMessageId,
  parseOwnReactionId,
  parsePortalKey,
} from './ids.js';

describe('Discord ids', () => {
  it('takes snowflakes only', () => {
    expect(parsePortalKey('123456789012345678')).toBe('123456789012345678');
    expect(parsePortalKey('#general')).toBeUndefined();
    expect(parseAliasLocalpart('123456789012345678')).toBe('123456789012345678');
    expect(parseAliasLocalpart('12345')).toBeUndefined();
    expect(parseMessageId('r:1:2:x')).toBeUndefined();
  });

  it('round-trips the reactions the bot makes for Matrix users', () => {
    for (const eventId of ['$abc', '$abc:example.org']) {
      const id = makeOwnReactionId('123456789012345678', '👍🏽', eventId);
      expect(parseOwnReactionId(id)).toEqual({ messageId: '123456789012345678', emoji: '👍🏽' });
    }
    expect(parseOwnReactionId('m:123456789012345678/%E0%A4%A/$x')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { remoteMessageId } from '../../../src/connector.js';
import { msgidRemoteId } from '../ids.js';
import { replyTags, replyTargetOf } from './replies.js';

describe('IRC replies (+draft/reply)', () => {
  it('reads the replied-to msgid of an IRC message as the remote id the bridge gave it', () => {
    expect(replyTargetOf({ '+draft/reply': 'abc123', msgid: 'x' })).toBe(msgidRemoteId('abc123'));
    expect(replyTargetOf({ msgid: 'x' })).toBeUndefined();
    expect(replyTargetOf({ '+draft/reply': '' })).toBeUndefined();
    expect(replyTargetOf(undefined)).toBeUndefined();
  });

  it('tags a reply to a message from IRC, escaping the msgid; nothing for others', () => {
    expect(replyTags(msgidRemoteId('abc123'))).toBe('@+draft/reply=abc123 ');
    // A hostile server's msgid cannot end the tags, add one, or break the line.
    expect(replyTags(msgidRemoteId('a b;c\\d\r\ne\0'))).toBe(
      '@+draft/reply=a\\sb\\:c\\\\d\\r\\ne ',
    );
    expect(replyTags(remoteMessageId('m:$event'))).toBe(''); // from Matrix: IRC knows no msgid
    expect(replyTags(remoteMessageId('irc:uuid'))).toBe(''); // heard without a msgid
    expect(replyTags(undefined)).toBe('');
  });
});

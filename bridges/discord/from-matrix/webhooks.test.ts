import { describe, expect, it } from 'vitest';
import { webhookUsername } from './webhooks.js';

describe('webhook usernames', () => {
  it('keeps a display name Discord takes', () => {
    expect(webhookUsername('Alice Liddell', 'alice')).toBe('Alice Liddell');
  });
  it('breaks the words Discord refuses and drops the characters it forbids', () => {
    expect(webhookUsername('Discord Clyde @admin #1: ```x```', 'alice')).toBe(
      "D-iscord C-lyde admin 1 '''x'''",
    );
  });
  it('falls back to the localpart and stays within 80 characters', () => {
    expect(webhookUsername('\u200b\u0007', 'alice')).toBe('alice');
    expect([...webhookUsername('😀'.repeat(100), 'alice')]).toHaveLength(80);
  });
});

import { describe, expect, it } from 'vitest';
import type { MatrixRoomId, MatrixRoomView, MatrixUserId } from '../../../src/connector.js';
import { linkRefusal } from './link.js';

const u = (id: string) => id as MatrixUserId;
const room = (members: MatrixRoomView['members']): MatrixRoomView => ({
  roomId: '!r:x' as MatrixRoomId,
  joinRule: 'invite',
  members,
});

describe('linkRefusal', () => {
  it('lets a moderator or a creator link a room, no one else', () => {
    const r = room([
      { userId: u('@mod:x'), powerLevel: 50 },
      { userId: u('@user:x'), powerLevel: 0 },
      { userId: u('@creator:x'), powerLevel: 0, creator: true },
    ]);
    expect(linkRefusal(r, u('@mod:x'))).toBeUndefined();
    expect(linkRefusal(r, u('@creator:x'))).toBeUndefined();
    expect(linkRefusal(r, u('@user:x'))).toMatch(/moderator/);
    expect(linkRefusal(r, u('@stranger:x'))).toMatch(/not in that room/);
  });
});

// Matrix presence (m.presence EDUs) → connectors with PresenceCapable: in order per user, never a
// ghost's or the bot's, malformed ones dropped, and nothing for a bridge that is not running.
import { describe, expect, it } from 'vitest';
import type { MatrixPresence } from '../connector.js';
import { InboxRouter, type InboxRouterDeps } from './inbox-router.js';
import { KeyedQueue } from './keyed-queue.js';

function router(state = 'running') {
  const got: MatrixPresence[] = [];
  const queue = new KeyedQueue(4, () => undefined);
  const connector = { handleMatrixPresence: async (p: MatrixPresence) => void got.push(p) };
  const deps = {
    queue,
    runtimes: new Map([
      ['net', { id: 'net', state, connector, ownsUser: (u: string) => u.startsWith('@net_') }],
      ['plain', { id: 'plain', state, connector: {}, ownsUser: () => false }],
    ]),
    store: { messages: {} },
    log: { debug: () => undefined },
    botUserId: '@bot:localhost',
    intents: { bot: { client: {} } },
  } as unknown as InboxRouterDeps;
  return { inbox: new InboxRouter(deps), queue, got };
}

const presence = (sender: string, content: Record<string, unknown>) => ({
  type: 'm.presence',
  sender,
  content,
});

describe('presence from Matrix', () => {
  it("reaches bridges that show it, in order, but not ghosts' or the bot's", async () => {
    const { inbox, queue, got } = router();
    inbox.enqueueEphemeral(presence('@u:x', { presence: 'unavailable', status_msg: 'lunch' }));
    inbox.enqueueEphemeral(presence('@u:x', { presence: 'online', status_msg: '' }));
    inbox.enqueueEphemeral(presence('@net_ghost:x', { presence: 'online' }));
    inbox.enqueueEphemeral(presence('@bot:localhost', { presence: 'online' }));
    inbox.enqueueEphemeral(presence('@v:x', { presence: 'busy' }));
    await queue.idle();
    expect(got).toEqual([
      { userId: '@u:x', presence: 'unavailable', statusMsg: 'lunch' },
      { userId: '@u:x', presence: 'online' },
    ]);
  });

  it('is not handed to a bridge that is not running', async () => {
    const { inbox, queue, got } = router('stopped');
    inbox.enqueueEphemeral(presence('@u:x', { presence: 'online' }));
    await queue.idle();
    expect(got).toEqual([]);
  });
});

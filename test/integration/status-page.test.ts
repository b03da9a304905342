// The admins' status page, end to end: a bridge with the echo network (refusing some messages,
// failing others once) and IRC with one network up (the test InspIRCd) and one down (a closed
// port), against the real Synapse. An admin asks the bot for `status`, opens the signed link in
// Debian's chromium (headless, driven by playwright-core), sees each bridge and network as it is,
// retries a failed delivery with the page's button and alice sees it arrive in the room; the chart
// is drawn; access is refused without the link, with a used or expired one, or a wrong token.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoConnector } from '../../bridges/echo/index.js';
import { IrcConnector } from '../../bridges/irc/index.js';
import { BridgeError, type MatrixMessage } from '../../src/connector.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { StatusAuth } from '../../src/status/auth.js';
import type { StatusSnapshot } from '../../src/status/snapshot.js';
import {
  asUser,
  roomEvents,
  startBridge,
  type RoomEvent,
  joinAlias,
} from '../support/bridge-harness.js';
import { BOT, command as botCommand, openManagementRoom } from '../support/management-room.js';
import { ircPort } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const ECHO_GHOST = '@echo_echo:localhost';
const TOKEN = `status_token_${randomBytes(8).toString('hex')}`;
/**
 * The page's picture: in the state folder on every run (proof that it renders), and in docs/ (the
 * one the README shows) when SWITCHBOARD_UPDATE_SCREENSHOT=1, so a test run leaves git alone.
 */
const SCREENSHOTS = [
  join(process.env.SWITCHBOARD_TEST_PEERS_DIR ?? tmpdir(), 'status-page.png'),
  ...(process.env.SWITCHBOARD_UPDATE_SCREENSHOT === '1'
    ? [join(import.meta.dirname, '../../docs/status-page.png')]
    : []),
];

function chromiumPath(): string {
  const path = process.env.SWITCHBOARD_TEST_CHROMIUM;
  if (!path)
    throw new Error(
      "SWITCHBOARD_TEST_CHROMIUM is unset: run `npm test` (test/peers/chromium.sh installs Debian's chromium)",
    );
  return path;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('the status page', () => {
  const suffix = randomBytes(3).toString('hex');
  let bridge: Switchboard;
  let browser: Browser;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;
  let dm: string;
  let txn = 0;
  const failOnce = new Set<string>();
  const echo = new EchoConnector();
  const handle = echo.handleMatrixMessage.bind(echo);
  echo.handleMatrixMessage = async (msg: MatrixMessage) => {
    if (failOnce.delete(msg.content.text))
      throw new BridgeError('network', 'the echo network is down', true);
    return handle(msg);
  };
  const base = () => `${testRegistration().url}/_switchboard/status`;
  const database = join(mkdtempSync(join(tmpdir(), 'sb-status-')), 'switchboard.db');

  const say = async (room: string, body: string, user = alice) =>
    (
      await asUser<{ event_id: string }>(
        user,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/s${Date.now()}.${++txn}`,
        { msgtype: 'm.text', body },
      )
    ).event_id;
  const find = (room: string, predicate: (e: RoomEvent) => boolean, what: string, user = alice) =>
    waitFor(async () => (await roomEvents(user, room)).find(predicate), 20_000, what);
  /** The bot's answer to a command typed in a management room. */
  const command = async (text: string, user = alice, room = dm) =>
    (await botCommand(user, room, text, 20_000)).answer;
  const statusLink = async () => {
    const answer = await command('status');
    const link = /(http\S+\/_switchboard\/status\/login\?t=\S+)/.exec(answer)?.[1];
    expect(answer).toMatch(/^Status page \(the link opens once, within 10 min\): http/);
    return link!;
  };
  const api = async () => {
    const res = await fetch(`${base()}/api`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as StatusSnapshot;
  };

  beforeAll(async () => {
    requireSynapse();
    const executablePath = chromiumPath();
    const aliceLocalpart = uniqueLocalpart('alice');
    bridge = await startBridge({
      database,
      connectors: [echo, new IrcConnector()],
      bridges: {
        echo: { enabled: true, reject_text: 'REJECT', features: { reactions: false } },
        irc: {
          enabled: true,
          networks: {
            up: { host: '127.0.0.1', port: ircPort(), tls: false, bot_nick: `sbup${suffix}` },
            down: {
              host: '127.0.0.1',
              port: await closedPort(),
              tls: false,
              bot_nick: `sbdn${suffix}`,
            },
          },
        },
      },
      admins: [`@${aliceLocalpart}:localhost`],
      statusPage: { token: TOKEN },
    });
    alice = await registerUser(aliceLocalpart);
    bob = await registerUser(uniqueLocalpart('bob'));
    const alias = `#echo_${uniqueLocalpart('status').replace('_', '-')}:localhost`;
    roomId = await joinAlias(alice, alias);
    dm = await openManagementRoom(alice);
    browser = await chromium.launch({ executablePath, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.stop();
  });

  it('refuses without a session (401), with a wrong token or an expired link (403); `status` is for admins', async () => {
    for (const path of ['/', '/api', '/live', '/assets/status.js'])
      expect((await fetch(`${base()}${path}`)).status).toBe(401);
    const wrong = await fetch(`${base()}/api`, {
      headers: { authorization: 'Bearer not_the_token_123456' },
    });
    expect(wrong.status).toBe(403);
    // A link signed with the bridge's own key, whose ten minutes are over.
    const past = new StatusAuth({
      key: () => bridge.secretKey!.derive('status-page'),
      linkTtlMs: 600_000,
      now: () => Date.now() - 601_000,
    });
    const expired = await fetch(`${base()}/login?t=${past.linkToken(alice.userId)}`);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('This link has expired.');
    expect(expired.headers.get('set-cookie')).toBeNull();

    const bobsRoom = await openManagementRoom(bob);
    expect(await command('status', bob, bobsRoom)).toBe('`status` is for bridge admins only.');
  });

  it('the JSON for scripts: bridges, IRC networks up and down, the homeserver, the database', async () => {
    const s = await waitFor(
      async () => {
        const snap = await api();
        const irc = snap.bridges.find((b) => b.id === 'irc');
        const up = irc?.connections.find((c) => c.network === 'up');
        return up?.states.connected ? snap : undefined;
      },
      20_000,
      'the IRC bot connected on network "up"',
    );
    expect(s.bridges.map((b) => [b.id, b.state])).toEqual([
      ['echo', 'running'],
      ['irc', 'running'],
    ]);
    const irc = s.bridges.find((b) => b.id === 'irc')!;
    expect(irc.connections.find((c) => c.network === 'down')!.states).toMatchObject({
      connected: 0,
      down: 1,
    });
    expect(s.homeserver).toMatchObject({ reachable: true, ping: { ok: true } });
    expect(s.homeserver.lastTransactionAt).toBeGreaterThan(Date.now() - 120_000);
    expect(s.database.kind).toBe('sqlite');
    expect(s.database.sizeBytes).toBeGreaterThan(0);
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(JSON.stringify(s)).not.toContain(testRegistration().as_token);
  });

  it('in a browser: the link opens the page, which shows what is wrong; Retry delivers; the chart is drawn', async () => {
    // A refused message and one that fails once, both shown to alice by the bot.
    const refused = await say(roomId, 'please REJECT this');
    const flaky = `flaky ${suffix}`;
    failOnce.add(flaky);
    const failed = await say(roomId, flaky);
    for (const id of [refused, failed])
      await find(
        roomId,
        (e) =>
          e.sender === BOT &&
          e.content.msgtype === 'm.notice' &&
          JSON.stringify(e.content).includes(id),
        `the failure notice for ${id}`,
      );

    const link = await statusLink();
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await page.goto(link);
    await page.waitForURL(`${base()}/`);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: 'sb_status',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/_switchboard/status',
    });

    // Bridges and networks as they are.
    await expect
      .poll(() => page.locator('[data-bridge="irc"] tr[data-network="up"]').getAttribute('class'))
      .toBe('ok');
    expect(
      await page.locator('[data-bridge="irc"] tr[data-network="down"]').getAttribute('class'),
    ).toBe('bad');
    expect(await page.locator('[data-bridge="irc"] tr[data-network="down"]').innerText()).toContain(
      'down 1',
    );
    expect(await page.locator('[data-bridge="echo"] .state').innerText()).toBe('running');
    expect(await page.locator('#homeserver').innerText()).toMatch(/Reachable\s+yes/);
    expect(await page.locator('#homeserver').innerText()).toMatch(/Appservice ping\s+\d+ ms/);

    // Failures with their reasons, refusals grouped by reason.
    const row = page.locator(`#failures tr[data-event="${failed}"]`);
    expect(await row.innerText()).toContain('the echo network is down');
    expect(await page.locator(`#failures tr[data-event="${refused}"]`).innerText()).toContain(
      'the echo network refused this message',
    );
    expect(await page.locator('#refused').innerText()).toMatch(
      /echo\s+the echo network refused this message\s+1/,
    );

    // Portals: the echo room is listed, and a search finds it.
    await page.fill('#portals input[name="q"]', roomId);
    await page.click('#portals button');
    await page.waitForURL(/\?q=/);
    expect(await page.locator('#portals tbody tr').count()).toBe(1);
    expect(await page.locator('#portals tbody').innerText()).toContain(roomId);
    // One portal's recent events and outcomes.
    await page.click('#portals tbody a');
    await page.waitForURL(/\/portal\?room=/);
    const outcomes = await page.locator('main table').innerText();
    expect(outcomes).toContain(refused);
    expect(outcomes).toMatch(/echo\s+failed\s+the echo network refused this message/);
    await page.goBack();

    // Retry: the message reaches the echo network, and alice sees its echo.
    await page.locator(`#failures tr[data-event="${failed}"] button.retry`).click();
    await page.waitForURL(/retried=/);
    expect(await page.locator('.notice').innerText()).toBe(`Retrying ${failed}.`);
    const echoed = await find(
      roomId,
      (e) => e.sender === ECHO_GHOST && e.content.body === flaky,
      'the echo of the retried message',
    );
    expect(echoed.content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: failed } });

    // The chart: uPlot drew a canvas with a series each way per bridge; the hour's counts are in the table.
    await page.waitForSelector('#chart[data-drawn="4"] canvas');
    const legend = await page.locator('#chart .u-legend').innerText();
    expect(legend).toContain('echo Matrix → network');
    expect(legend).toContain('irc network → Matrix');
    const painted = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#chart canvas')!;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(100);
    await expect
      .poll(async () => page.locator('#traffic-totals tbody').innerText(), { timeout: 15_000 })
      .toMatch(/echo\s+Matrix → network\s+[1-9]/);

    // The page refreshes itself: the retried failure leaves the list without a reload.
    await expect
      .poll(() => page.locator(`#failures tr[data-event="${failed}"]`).count(), { timeout: 15_000 })
      .toBe(0);

    await page.goto(`${base()}/`);
    await page.waitForSelector('#chart canvas');
    for (const path of SCREENSHOTS) await page.screenshot({ path, fullPage: true });

    // On a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );

    // The link opens once; another browser without it gets nothing.
    const again = await browser.newPage();
    const used = await again.goto(link);
    expect(used?.status()).toBe(403);
    expect(await again.locator('body').innerText()).toContain('used already');
    const none = await again.goto(`${base()}/`);
    expect(none?.status()).toBe(401);
    await again.close();
    await context.close();
  });

  it('turned off: its paths are not served, and `status` says so', async () => {
    await bridge.stop();
    bridge = await startBridge({
      database,
      connectors: [new EchoConnector()],
      bridges: { echo: { enabled: true } },
      admins: [alice.userId],
      statusPage: { enabled: false, token: TOKEN },
    });
    const res = await fetch(`${base()}/api`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
    expect(await command('status')).toBe(
      'The status page is off (status_page.enabled in the config).',
    );
  });
});

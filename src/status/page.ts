/** The status page's HTML, rendered on the server from a snapshot (html.ts escapes every value). */
import type { RoomOutcome } from '../store/store.js';
import { ago, bytes, duration, html, type Html } from './html.js';
import type { BridgeStatus, PortalPage, StatusSnapshot } from './snapshot.js';

const DIRECTION = { to_network: 'Matrix → network', to_matrix: 'network → Matrix' } as const;

export function layout(title: string, body: Html, csrf?: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="assets/uPlot.min.css">
<link rel="stylesheet" href="assets/status.css">
</head>
<body${csrf ? html` data-csrf="${csrf}"` : ''}>
${body}
<script src="assets/uPlot.iife.min.js"></script>
<script src="assets/status.js"></script>
</body>
</html>`;
}

/** A page with a message only (signed out, link expired). */
export function messagePage(title: string, message: string): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title}</title>
      </head>
      <body>
        <h1>${title}</h1>
        <p>${message}</p>
      </body>
    </html>`.text;
}

export function statusPage(
  s: StatusSnapshot,
  portals: PortalPage,
  opts: { csrf: string; userId?: string; notice?: string },
): string {
  const body = html`<header>
      <h1>Switchboard</h1>
      <p class="meta">
        version ${s.version} · up ${duration(s.uptimeSeconds)} · ${s.database.kind} database,
        ${bytes(s.database.sizeBytes)}${opts.userId ? html` · ${opts.userId}` : ''}
      </p>
      ${opts.userId ? html`<form method="post" action="logout"><input type="hidden" name="csrf" value="${opts.csrf}" /><button>Sign out</button></form>` : ''}
    </header>
    ${opts.notice ? html`<p class="notice" role="status">${opts.notice}</p>` : ''}
    <main>
      <div id="live">${liveSections(s, opts.csrf)}</div>
      <section id="traffic">
        <h2>Traffic, last hour</h2>
        <div id="chart" aria-label="messages per minute"></div>
      </section>
      ${portalSection(portals)}
    </main>`;
  return layout('Switchboard status', body, opts.csrf).text;
}

/** What the page refreshes every few seconds (`live`). */
export function liveSections(s: StatusSnapshot, csrf: string): Html {
  const messages = [
    ...s.problems.map((p) => ({ cls: 'bad', p })),
    ...s.warnings.map((p) => ({ cls: 'warn', p })),
  ];
  return html`${
      messages.length
        ? html`<section id="warnings">
            <h2>Problems and warnings</h2>
            <ul>
              ${messages.map((m) => html`<li class="${m.cls}">${m.p}</li>`)}
            </ul>
          </section>`
        : ''
    }
    <section id="bridges">
      <h2>Bridges</h2>
      <div class="cards">${s.bridges.map(bridgeCard)}</div>
    </section>
    <section id="homeserver">
      <h2>Homeserver</h2>
      <dl>
        <dt>Reachable</dt>
        <dd class="${s.homeserver.reachable ? 'ok' : 'bad'}">
          ${s.homeserver.reachable ? 'yes' : html`no: ${s.homeserver.error ?? 'not checked yet'}`}
        </dd>
        <dt>Last transaction</dt>
        <dd>${ago(s.homeserver.lastTransactionAt, s.now)}</dd>
        <dt>Appservice ping</dt>
        <dd class="${s.homeserver.ping?.ok ? 'ok' : s.homeserver.ping ? 'bad' : ''}">
          ${
            !s.homeserver.ping
              ? 'not checked'
              : s.homeserver.ping.ok
                ? `${s.homeserver.ping.ms} ms`
                : s.homeserver.ping.error
          }
        </dd>
      </dl>
    </section>
    <section id="queues">
      <h2>Queues and latency</h2>
      <dl>
        <dt>Inbox backlog</dt>
        <dd data-k="inbox">${s.backlog.inbox}</dd>
        <dt>Outbox depth</dt>
        <dd data-k="outbox">${s.backlog.outbox}</dd>
        <dt>Queued to networks / to Matrix</dt>
        <dd>${s.queues.to_network} / ${s.queues.to_matrix}</dd>
        ${s.latency.map(
          (l) =>
            html`<dt>Latency ${DIRECTION[l.direction]} since start (p50 / p99)</dt>
              <dd data-k="latency-${l.direction}">
                ${
                  l.count
                    ? `${fmtMs(l.p50)} / ${fmtMs(l.p99)} (${l.count} events)`
                    : 'no events yet'
                }
              </dd>`,
        )}
      </dl>
    </section>
    <section id="traffic-totals">
      <h2>Messages bridged</h2>
      ${trafficTable(s)}
    </section>
    <section id="failures">
      <h2>Recent failed deliveries</h2>
      ${
        s.failures.length
          ? html`<table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>Bridge</th>
                  <th>Room</th>
                  <th>Reason</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${s.failures.map(
                  (f) =>
                    html`<tr data-event="${f.eventId}">
                      <td>${ago(f.finishedAt, s.now)}</td>
                      <td>${f.bridge ?? 'core'}</td>
                      <td>
                        <a href="portal?room=${encodeURIComponent(f.roomId)}">${f.roomId}</a
                        ><br /><small>${f.eventId}</small>
                      </td>
                      <td>${f.reason ?? ''}</td>
                      <td>
                        <form method="post" action="retry">
                          <input type="hidden" name="csrf" value="${csrf}" /><input
                            type="hidden"
                            name="event"
                            value="${f.eventId}"
                          /><button class="retry">Retry</button>
                        </form>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="ok">No failed deliveries.</p>`
      }
    </section>
    <section id="refused">
      <h2>Refused messages by reason</h2>
      ${
        s.refused.length
          ? html`<table>
              <thead>
                <tr>
                  <th>Bridge</th>
                  <th>Reason</th>
                  <th>Count</th>
                  <th>Last</th>
                </tr>
              </thead>
              <tbody>
                ${s.refused.map(
                  (r) =>
                    html`<tr>
                      <td>${r.bridge ?? 'core'}</td>
                      <td>${r.reason ?? '(none given)'}</td>
                      <td>${r.count}</td>
                      <td>${ago(r.last, s.now)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="ok">None.</p>`
      }
    </section>`;
}

function bridgeCard(b: BridgeStatus): Html {
  const cls = b.state === 'running' ? 'ok' : b.state === 'failed' ? 'bad' : 'warn';
  return html`<article class="card" data-bridge="${b.id}">
    <h3>${b.name} <small>${b.id}</small></h3>
    <p class="state ${cls}">
      ${b.state}${b.reason ? html`: <span class="reason">${b.reason}</span>` : ''}
    </p>
    ${
      b.connections.length
        ? html`<table class="connections">
            <thead>
              <tr>
                <th>Network</th>
                <th>Connections</th>
              </tr>
            </thead>
            <tbody>
              ${b.connections.map((c) => {
                const up = c.states.connected ?? 0;
                const down = Object.entries(c.states)
                  .filter(([state]) => state !== 'connected')
                  .reduce((n, [, v]) => n + v, 0);
                const ncls = down === 0 ? 'ok' : up === 0 ? 'bad' : 'warn';
                return html`<tr data-network="${c.network}" class="${ncls}">
                  <td>${c.network}</td>
                  <td>
                    ${Object.entries(c.states).map(
                      ([state, n]) => html`<span class="pill">${state} ${n}</span> `,
                    )}
                  </td>
                </tr>`;
              })}
            </tbody>
          </table>`
        : ''
    }
  </article>`;
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function trafficTable(s: StatusSnapshot): Html {
  return html`<table class="traffic">
    <thead>
      <tr>
        <th>Bridge</th>
        <th>Direction</th>
        <th>Last hour</th>
        <th>Last minute</th>
      </tr>
    </thead>
    <tbody>
      ${s.traffic.series.map(
        (t) =>
          html`<tr>
            <td>${t.bridge}</td>
            <td>${DIRECTION[t.direction]}</td>
            <td>${t.counts.reduce((a, b) => a + b, 0)}</td>
            <td>${t.counts.at(-1) ?? 0}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function portalSection(p: PortalPage): Html {
  const q = p.query;
  const link = (page: number) => {
    const params = new URLSearchParams();
    if (q.search) params.set('q', q.search);
    if (q.bridge) params.set('bridge', q.bridge);
    params.set('page', String(page));
    return `?${params.toString()}#portals`;
  };
  return html`<section id="portals">
    <h2>Portals <small>(${p.total})</small></h2>
    <form method="get" action="./#portals" class="search" role="search">
      <input
        type="search"
        name="q"
        value="${q.search ?? ''}"
        placeholder="room, chat or bridge"
        aria-label="search portals"
      />
      <button>Search</button>
    </form>
    <table>
      <thead>
        <tr>
          <th>Bridge</th>
          <th>Remote chat</th>
          <th>Room</th>
          <th>Last success</th>
          <th>Last failure</th>
        </tr>
      </thead>
      <tbody>
        ${p.rows.map(
          (r) =>
            html`<tr>
              <td>${r.bridge}</td>
              <td>${r.portalKey}</td>
              <td><a href="portal?room=${encodeURIComponent(r.roomId)}">${r.roomId}</a></td>
              <td>${r.lastSuccess ? new Date(r.lastSuccess).toISOString() : 'never'}</td>
              <td
                class="${r.lastFailure && (!r.lastSuccess || r.lastFailure > r.lastSuccess) ? 'bad' : ''}"
              >
                ${r.lastFailure ? new Date(r.lastFailure).toISOString() : 'never'}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <nav class="pager">
      ${q.page > 1 ? html`<a rel="prev" href="${link(q.page - 1)}">← previous</a>` : ''} page
      ${q.page} of ${p.pages}
      ${q.page < p.pages ? html`<a rel="next" href="${link(q.page + 1)}">next →</a>` : ''}
    </nav>
  </section>`;
}

export function portalPage(roomId: string, outcomes: RoomOutcome[], now: number): string {
  const body = html`<header>
      <h1>Room ${roomId}</h1>
      <p><a href="./">← status</a></p>
    </header>
    <main>
      <section>
        <h2>Recent events and their outcomes</h2>
        <table>
          <thead>
            <tr>
              <th>Received</th>
              <th>Event</th>
              <th>Bridge</th>
              <th>Outcome</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            ${outcomes.map(
              (o) =>
                html`<tr>
                  <td>${ago(o.receivedAt, now)}</td>
                  <td><small>${o.eventId}</small></td>
                  <td>${o.bridge ?? ''}</td>
                  <td class="${o.state === 'failed' ? 'bad' : o.state === 'done' ? 'ok' : 'warn'}">
                    ${o.state}
                  </td>
                  <td>${o.reason ?? ''}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${outcomes.length ? '' : html`<p>No events of this room are kept (finished ones are pruned after retention_days).</p>`}
      </section>
    </main>`;
  return layout(`Switchboard: ${roomId}`, body).text;
}

/**
 * The page's own stylesheet and script (no build step, no framework), and uPlot served from the
 * bridge's node_modules: nothing is loaded from elsewhere (the CSP says so).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const STATUS_CSS = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --line: #8884; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 0.75rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.25rem 1rem; }
header h1 { margin: 0; font-size: 1.4rem; }
.meta { margin: 0; opacity: 0.8; flex: 1; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 0.5rem; border-bottom: 1px solid var(--line); }
h3 { margin: 0 0 0.25rem; font-size: 1rem; }
small { opacity: 0.7; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.notice { padding: 0.5rem; border: 1px solid var(--line); border-radius: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); gap: 0.75rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 0.6rem 0.75rem; }
.state { margin: 0 0 0.4rem; font-weight: 600; }
.reason { font-weight: normal; }
.pill { display: inline-block; border: 1px solid var(--line); border-radius: 1rem; padding: 0 0.45rem; font-size: 0.85rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
dt { opacity: 0.8; } dd { margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3rem 0.4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td { overflow-wrap: anywhere; }
#chart { min-height: 240px; }
.search { display: flex; gap: 0.5rem; margin-bottom: 0.5rem; }
.search input { flex: 1; min-width: 0; font: inherit; padding: 0.3rem; }
button { font: inherit; padding: 0.25rem 0.7rem; cursor: pointer; }
.pager { margin-top: 0.5rem; }
@media (max-width: 40rem) {
  dl { grid-template-columns: 1fr; } dt { font-weight: 600; }
  table.connections th, table thead { display: none; }
  table tr { display: block; border-bottom: 1px solid var(--line); padding: 0.3rem 0; }
  table td { display: block; border: 0; padding: 0.1rem 0.2rem; }
}
`;

export const STATUS_JS = `'use strict';
(function () {
  var chartEl = document.getElementById('chart');
  var live = document.getElementById('live');
  if (!live) return;
  var plot = null;
  var colors = ['#0969da', '#1a7f37', '#bf3989', '#9a6700', '#8250df', '#cf222e', '#1b7c83', '#57606a'];
  var arrow = { to_network: 'Matrix → network', to_matrix: 'network → Matrix' };
  function draw(traffic) {
    if (!chartEl || typeof uPlot === 'undefined') return;
    var data = [traffic.minutes.map(function (m) { return m / 1000; })].concat(
      traffic.series.map(function (s) { return s.counts; }));
    var width = Math.max(280, chartEl.clientWidth);
    if (plot && plot.series.length === data.length) { plot.setData(data); return; }
    if (plot) plot.destroy();
    var series = [{}].concat(traffic.series.map(function (s, i) {
      return { label: s.bridge + ' ' + arrow[s.direction], stroke: colors[i % colors.length], width: 2, points: { show: false },
        dash: s.direction === 'to_matrix' ? [6, 3] : undefined };
    }));
    plot = new uPlot({ width: width, height: 240, series: series,
      axes: [{}, { label: 'per minute' }], scales: { y: { range: function (u, min, max) { return [0, Math.max(5, max)]; } } } },
      data, chartEl);
    chartEl.dataset.drawn = String(traffic.series.length);
  }
  function signedOut() {
    live.insertAdjacentHTML('afterbegin', '<p class="notice bad">Signed out: ask the bot for a new link (the status command).</p>');
    clearInterval(timer);
  }
  function refresh() {
    fetch('api', { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (res.status === 401 || res.status === 403) { signedOut(); return null; }
        return res.ok ? res.json() : null;
      })
      .then(function (s) { if (s) draw(s.traffic); return s ? fetch('live', { credentials: 'same-origin' }) : null; })
      .then(function (res) { return res && res.ok ? res.text() : null; })
      .then(function (text) { if (text !== null) live.innerHTML = text; })
      .catch(function () { /* the next round tries again */ });
  }
  window.addEventListener('resize', function () {
    if (plot) plot.setSize({ width: Math.max(280, chartEl.clientWidth), height: 240 });
  });
  var timer = setInterval(refresh, 5000);
  refresh();
})();
`;

/** uPlot's script and stylesheet from node_modules, read once. */
export function uplotAsset(name: 'uPlot.iife.min.js' | 'uPlot.min.css'): string {
  return (cache[name] ??= readFileSync(require.resolve(`uplot/dist/${name}`), 'utf8'));
}
const cache: Record<string, string> = {};

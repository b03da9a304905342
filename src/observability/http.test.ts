import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { observabilityRouter } from './http.js';
import { createMetrics } from './metrics.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serve the router on a free local port; returns its base URL. */
async function serve(ready: () => boolean | Promise<boolean>) {
  const metrics = createMetrics({ defaultMetrics: false });
  const app = express();
  app.use(observabilityRouter({ metrics, ready }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, metrics };
}

describe('observabilityRouter', () => {
  it('serves Prometheus text with its content type', async () => {
    const { base, metrics } = await serve(() => true);
    metrics.transactions.inc({ outcome: 'ok' });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8/);
    expect(await res.text()).toContain('switchboard_transactions_total{outcome="ok"} 1');
  });

  it('answers /health while the process runs, even when not ready', async () => {
    const { base } = await serve(() => false);
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /ready with 503 until ready, then 200', async () => {
    let ready = false;
    const { base } = await serve(async () => ready);
    const before = await fetch(`${base}/ready`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ status: 'starting' });
    ready = true;
    const after = await fetch(`${base}/ready`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ready' });
  });

  it('treats a failing readiness check as not ready', async () => {
    const { base } = await serve(() => {
      throw new Error('store closed');
    });
    const res = await fetch(`${base}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'starting' });
  });
});

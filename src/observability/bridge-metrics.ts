/**
 * The metrics a bridge adds to `/metrics` (BridgeContext.metrics), in the process's registry,
 * named `switchboard_<bridge id>_<name>`: the bridge never touches prom-client itself.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BridgeMetrics, MetricSample } from '../connector.js';
import { METRIC_PREFIX } from './metrics.js';

const NAME = /^[a-z][a-z0-9_]*$/;

export function bridgeMetrics(registry: Registry, bridge: string): BridgeMetrics {
  const fullName = (name: string, suffix = '') => {
    if (!NAME.test(name)) throw new Error(`metric name ${name}: use a-z, 0-9 and _`);
    // A bridge id may hold `-`; metric names may not.
    return `${METRIC_PREFIX}${bridge.replace(/-/g, '_')}_${name}${suffix}`;
  };
  return {
    counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
      const counter = new Counter<L>({
        name: fullName(name, '_total'),
        help,
        labelNames,
        registers: [registry],
      });
      return {
        inc: (labels: Partial<Record<L, string>> = {}, by = 1) => counter.inc(labels, by),
      };
    },
    gauge<L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      read: () => MetricSample<L>[],
    ) {
      new Gauge<L>({
        name: fullName(name),
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          for (const sample of read()) this.set(sample.labels, sample.value);
        },
      });
    },
  };
}

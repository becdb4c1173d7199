/**
 * The HTTP series counted into plain maps (src/metrics/http-series.ts) give the same exposition,
 * byte for byte, as prom-client's own inc/observe for the same traffic: series order, counts,
 * buckets (values on a bound, above every bound) and the floating-point sums; also after a
 * session's series are forgotten and after more traffic.
 */
import { describe, expect, test } from '@jest/globals';
import { Counter, Histogram, Registry } from 'prom-client';
import { HttpSeries } from '../../src/metrics/http-series.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

function metrics(series?: HttpSeries) {
  const registry = new Registry();
  const counter = new Counter({
    name: 'wa_gateway_http_requests_total',
    help: 'h',
    labelNames: ['session', 'method', 'route', 'status'],
    registers: [registry],
    ...(series && {
      collect(this: Counter<string>) {
        series.collectCounts(this);
      },
    }),
  });
  const histogram = new Histogram({
    name: 'wa_gateway_http_request_duration_seconds',
    help: 'h',
    labelNames: ['session', 'method', 'route'],
    buckets: BUCKETS,
    registers: [registry],
    ...(series && {
      collect(this: Histogram<string>) {
        series.collectDurations(this);
      },
    }),
  });
  return { registry, counter, histogram };
}

/** Deterministic traffic: a few routes, sessions and statuses, durations across every bucket. */
function* traffic(n: number, seed: number) {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const routes = ['/api/send-message', '/api/status', '/api/messages/:id', 'unmatched'];
  for (let i = 0; i < n; i++) {
    const r = next();
    const seconds = i % 17 === 0 ? (BUCKETS[i % BUCKETS.length] ?? 0) : i % 29 === 0 ? 200 + r : r ** 6 * 40;
    yield {
      session: next() < 0.7 ? 'default' : 'sales',
      method: next() < 0.5 ? 'GET' : 'POST',
      route: routes[Math.floor(next() * routes.length)] ?? 'unmatched',
      status: [200, 400, 404, 429][Math.floor(next() * 4)] ?? 200,
      seconds,
    };
  }
}

describe('HttpSeries', () => {
  test('exposes what prom-client counting the same traffic exposes, also after a session is forgotten', async () => {
    const series = new HttpSeries(BUCKETS);
    const ours = metrics(series);
    const theirs = metrics();
    const play = (n: number, seed: number) => {
      for (const { session, method, route, status, seconds } of traffic(n, seed)) {
        series.record(session, method, route, status, seconds);
        theirs.counter.inc({ session, method, route, status: String(status) });
        theirs.histogram.observe({ session, method, route }, seconds);
      }
    };
    expect(await ours.registry.metrics()).toBe(await theirs.registry.metrics());
    play(2000, 7);
    const first = await ours.registry.metrics();
    expect(first).toContain('le="+Inf"');
    expect(first).toBe(await theirs.registry.metrics());

    // A stopped session's series go, as the gateway removes them from prom-client's metrics.
    series.forget('sales');
    for (const metric of [theirs.counter, theirs.histogram] as Counter<string>[]) {
      for (const { labels } of (await metric.get()).values) {
        if (labels.session !== 'sales') continue;
        const { le: _le, ...rest } = labels;
        metric.remove(rest);
      }
    }
    const afterForget = await ours.registry.metrics();
    expect(afterForget).not.toContain('session="sales"');
    expect(afterForget).toBe(await theirs.registry.metrics());

    play(500, 11);
    expect(await ours.registry.metrics()).toBe(await theirs.registry.metrics());
  });
});

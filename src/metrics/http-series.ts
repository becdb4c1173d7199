/**
 * The HTTP request counter and duration histogram, counted into plain maps and handed to
 * prom-client when it is scraped (the metrics' `collect`). prom-client's inc/observe hash their
 * label object on every call (sorting and joining the label values), which was a visible part of
 * what a request costs after its response; here a request costs a lookup by its precomputed key
 * and a few additions, and the hashing happens once per series per scrape.
 *
 * The exposition stays what prom-client's own counting gives for the same traffic: the series
 * come in the order they were first seen (prom-client's is its map's insertion order), the
 * counts are the same integers, and a histogram's sum is added up observation by observation
 * from zero, in the same order, so even its floating-point value is the same.
 */
import type { Counter, Histogram } from 'prom-client';

interface DurationSeries {
  labels: { session: string; method: string; route: string };
  /** Observations per bucket (not cumulative), by index into the buckets; the last is above them all. */
  buckets: number[];
  sum: number;
  count: number;
  /** This series' counter series, by status code. */
  statuses: Map<number, CountSeries>;
}

interface CountSeries {
  labels: { session: string; method: string; route: string; status: string };
  value: number;
}

/** prom-client's value of one histogram series (lib/histogram.js createBaseValues): what a scrape reads. */
interface HistogramEntry {
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

export class HttpSeries {
  private readonly durations = new Map<string, DurationSeries>();
  /** Every counter series, in the order first seen (it can differ from the histogram's order). */
  private readonly counts: CountSeries[] = [];

  constructor(private readonly bounds: readonly number[]) {}

  record(session: string, method: string, route: string, status: number, seconds: number): void {
    const key = `${session} ${method} ${route}`;
    let series = this.durations.get(key);
    if (!series) {
      series = { labels: { session, method, route }, buckets: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0, statuses: new Map() };
      this.durations.set(key, series);
    }
    let counted = series.statuses.get(status);
    if (!counted) {
      counted = { labels: { session, method, route, status: String(status) }, value: 0 };
      series.statuses.set(status, counted);
      this.counts.push(counted);
    }
    counted.value++;
    series.sum += seconds;
    series.count++;
    // prom-client's bucket: the first bound the value does not exceed.
    let i = 0;
    for (const bound of this.bounds) {
      if (seconds <= bound) break;
      i++;
    }
    series.buckets[i] = (series.buckets[i] ?? 0) + 1;
  }

  /** A stopped session's series go (the metrics' own series are removed by the caller). */
  forget(session: string): void {
    for (const [key, series] of this.durations) if (series.labels.session === session) this.durations.delete(key);
    const kept = this.counts.filter((counted) => counted.labels.session !== session);
    this.counts.splice(0, this.counts.length, ...kept);
  }

  /** The counter's `collect`: its series rebuilt from the counts. */
  collectCounts(counter: Counter<string>): void {
    counter.reset();
    for (const { labels, value } of this.counts) counter.inc(labels, value);
  }

  /**
   * The histogram's `collect`: its series rebuilt from the counts. prom-client has no public way
   * to set a series' buckets, so each series is made by `zero` and its values are written into the
   * entry it made (prom-client's own structure; tests/metrics/http-series.test.ts compares the
   * whole exposition with prom-client's own counting, so a change there shows).
   */
  collectDurations(histogram: Histogram<string>): void {
    histogram.reset();
    const all = [...this.durations.values()];
    for (const { labels } of all) histogram.zero(labels);
    const entries = Object.values((histogram as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap);
    all.forEach((series, s) => {
      const entry = entries[s];
      if (!entry) return;
      entry.sum = series.sum;
      entry.count = series.count;
      this.bounds.forEach((bound, i) => (entry.bucketValues[bound] = series.buckets[i] ?? 0));
    });
  }
}

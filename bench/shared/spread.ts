import { percentile } from '../../agent/metrics/turn-latency-tracer.js';

/** How many values, and their median and 95th percentile: what every benchmark reports of a figure. */
export interface Spread {
  n: number;
  p50: number;
  p95: number;
}

export function spread(values: number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  return { n: values.length, p50: percentile(values, 50), p95: percentile(values, 95) };
}

/** A figure as the report prints it: a dash for none. */
export function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits);
}

/** Seconds as minutes, one decimal. */
export function minutes(s: number): string {
  return (s / 60).toFixed(1);
}

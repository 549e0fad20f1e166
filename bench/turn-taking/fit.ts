/**
 * Logistic regression by Newton's method (iteratively reweighted least squares), with a small ridge
 * so that a signal that separates the samples perfectly does not run to infinity. A handful of
 * features and a few thousand samples: exact and instant.
 */
export function fitLogistic(x: number[][], y: number[], ridge = 1e-3, iterations = 50): number[] {
  const d = x[0]!.length + 1;
  const rows = x.map((r) => [1, ...r]);
  let w = new Array<number>(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    const g = new Array<number>(d).fill(0);
    const h = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    rows.forEach((r, i) => {
      const p = 1 / (1 + Math.exp(-r.reduce((s, v, k) => s + v * w[k]!, 0)));
      const s = p * (1 - p);
      for (let a = 0; a < d; a++) {
        g[a]! += (p - y[i]!) * r[a]!;
        for (let b = 0; b < d; b++) h[a]![b]! += s * r[a]! * r[b]!;
      }
    });
    for (let a = 1; a < d; a++) {
      g[a]! += ridge * w[a]!;
      h[a]![a]! += ridge;
    }
    const step = solve(h, g);
    w = w.map((v, k) => v - step[k]!);
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  return w;
}

/** Solves a·x = b (Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c || m[c]![c] === 0) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => (row[i] === 0 ? 0 : row[n]! / row[i]!));
}

/** The area under the ROC curve: the chance a random positive scores above a random negative. */
export function auc(scores: number[], labels: number[]): number {
  const pos = scores.filter((_, i) => labels[i] === 1);
  const neg = scores.filter((_, i) => labels[i] === 0);
  if (!pos.length || !neg.length) return Number.NaN;
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

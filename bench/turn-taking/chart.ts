import { CONDITIONS, type Condition } from './conditions.js';

const WIDTH = 820;
const HEIGHT = 520;
const PAD = { left: 70, right: 170, top: 50, bottom: 50 };
const COLOURS: Record<Condition, string> = { clean: '#1f77b4', babble: '#ff7f0e', music: '#2ca02c', phone: '#d62728' };

/** One detector setting under one condition: its false cut-off rate and median delay. */
export interface TradeOffPoint {
  condition: Condition;
  cutOffRate: number;
  p50Ms: number;
}

/** The points no other beats on both axes, by rising delay. */
export function frontier<T extends TradeOffPoint>(points: T[]): T[] {
  const sorted = [...points].sort((a, b) => a.p50Ms - b.p50Ms || a.cutOffRate - b.cutOffRate);
  const out: T[] = [];
  for (const p of sorted) if (out.length === 0 || p.cutOffRate < out.at(-1)!.cutOffRate) out.push(p);
  return out;
}

/**
 * The trade-off on the development split: false cut-offs against the median end-of-turn delay, one
 * curve per condition (the frontier of the stages swept), the chosen setting and the old detector marked.
 */
export function renderTradeOff(title: string, swept: TradeOffPoint[], chosen: TradeOffPoint[], before: TradeOffPoint[]): string {
  const xMax = Math.ceil(Math.max(1500, ...swept.map((r) => r.p50Ms), ...before.map((r) => r.p50Ms)) / 250) * 250;
  const x = (ms: number) => PAD.left + (Math.min(ms, xMax) / xMax) * (WIDTH - PAD.left - PAD.right);
  const y = (rate: number) => HEIGHT - PAD.bottom - Math.min(1, rate / 0.5) * (HEIGHT - PAD.top - PAD.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${title}</text>`,
    `<text x="10" y="40" fill="#555">each curve joins the stage settings no other beats on both axes; ● the chosen one; ✕ the detector before this round</text>`,
  ];
  for (let t = 0; t <= xMax; t += 250) {
    parts.push(
      `<line x1="${x(t)}" y1="${PAD.top}" x2="${x(t)}" y2="${HEIGHT - PAD.bottom}" stroke="#eee"/>`,
      `<text x="${x(t)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle" fill="#777">${t}</text>`,
    );
  }
  for (let r = 0; r <= 0.50001; r += 0.05) {
    parts.push(
      `<line x1="${PAD.left}" y1="${y(r)}" x2="${WIDTH - PAD.right}" y2="${y(r)}" stroke="#eee"/>`,
      `<text x="${PAD.left - 8}" y="${y(r) + 4}" text-anchor="end" fill="#777">${Math.round(r * 100)} %</text>`,
    );
  }
  parts.push(
    `<text x="${(PAD.left + WIDTH - PAD.right) / 2}" y="${HEIGHT - 12}" text-anchor="middle">median end-of-turn delay (ms, caller's last word → turn over)</text>`,
    `<text x="16" y="${(PAD.top + HEIGHT - PAD.bottom) / 2}" transform="rotate(-90 16 ${(PAD.top + HEIGHT - PAD.bottom) / 2})" text-anchor="middle">false cut-offs</text>`,
  );
  CONDITIONS.forEach((condition, i) => {
    const colour = COLOURS[condition];
    const curve = frontier(swept.filter((p) => p.condition === condition));
    if (curve.length)
      parts.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${curve.map((p) => `${x(p.p50Ms)},${y(p.cutOffRate)}`).join(' ')}"/>`,
      );
    for (const p of chosen.filter((c) => c.condition === condition))
      parts.push(`<circle cx="${x(p.p50Ms)}" cy="${y(p.cutOffRate)}" r="6" fill="${colour}"/>`);
    for (const p of before.filter((c) => c.condition === condition)) {
      const [cx, cy] = [x(p.p50Ms), y(p.cutOffRate)];
      parts.push(
        `<path d="M${cx - 6},${cy - 6} L${cx + 6},${cy + 6} M${cx - 6},${cy + 6} L${cx + 6},${cy - 6}" stroke="${colour}" stroke-width="2"/>`,
      );
    }
    parts.push(
      `<rect x="${WIDTH - PAD.right + 20}" y="${PAD.top + i * 22}" width="14" height="4" fill="${colour}"/>`,
      `<text x="${WIDTH - PAD.right + 40}" y="${PAD.top + i * 22 + 6}">${condition}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

import { CONDITIONS, type Condition } from './conditions.js';
import { type Detector, type SettingResult, falseCutOffRate, frontier } from './score.js';

const WIDTH = 820;
const HEIGHT = 520;
const PAD = { left: 70, right: 170, top: 50, bottom: 50 };
const COLOURS: Record<Condition, string> = { clean: '#1f77b4', babble: '#ff7f0e', music: '#2ca02c', phone: '#d62728' };
const DASHES: Record<Detector, string> = { vad: '', 'vad+policy': '10 3 2 3', eot: '7 4', 'eot+policy': '2 3' };
const DETECTOR_NAMES: Record<Detector, string> = { vad: 'VAD + fixed delay', 'vad+policy': 'VAD + policy', eot: 'end-of-turn model', 'eot+policy': 'model + policy' };

/**
 * The trade-off: false cut-offs against the median end-of-turn delay, one curve per condition and
 * detector (the frontier of the settings swept: none beats a point on both), the current default marked.
 */
export function renderTradeOff(title: string, results: SettingResult[], isDefault: (r: SettingResult) => boolean): string {
  const maxDelay = Math.max(1500, ...results.map((r) => r.delay?.p50 ?? 0));
  const xMax = Math.ceil(maxDelay / 250) * 250;
  const x = (ms: number) => PAD.left + (ms / xMax) * (WIDTH - PAD.left - PAD.right);
  const y = (rate: number) => HEIGHT - PAD.bottom - rate * (HEIGHT - PAD.top - PAD.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${title}</text>`,
    `<text x="10" y="40" fill="#555">each curve joins the settings no other beats on both axes (colour: condition, dash: detector); ○ the current default</text>`,
  ];
  for (let t = 0; t <= xMax; t += 250) {
    parts.push(`<line x1="${x(t)}" y1="${PAD.top}" x2="${x(t)}" y2="${HEIGHT - PAD.bottom}" stroke="#eee"/>`, `<text x="${x(t)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle" fill="#777">${t}</text>`);
  }
  for (let r = 0; r <= 1.0001; r += 0.1) {
    parts.push(`<line x1="${PAD.left}" y1="${y(r)}" x2="${WIDTH - PAD.right}" y2="${y(r)}" stroke="#eee"/>`, `<text x="${PAD.left - 8}" y="${y(r) + 4}" text-anchor="end" fill="#777">${Math.round(r * 100)} %</text>`);
  }
  parts.push(
    `<text x="${(PAD.left + WIDTH - PAD.right) / 2}" y="${HEIGHT - 12}" text-anchor="middle">median end-of-turn delay (ms, caller's last word → turn over)</text>`,
    `<text x="16" y="${(PAD.top + HEIGHT - PAD.bottom) / 2}" transform="rotate(-90 16 ${(PAD.top + HEIGHT - PAD.bottom) / 2})" text-anchor="middle">false cut-offs</text>`,
  );
  const detectors = [...new Set(results.map((r) => r.setting.detector))];
  CONDITIONS.forEach((condition, i) => {
    const colour = COLOURS[condition];
    for (const detector of detectors) {
      const mine = results.filter((r) => r.condition === condition && r.setting.detector === detector);
      const curve = frontier(mine);
      if (curve.length) parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" stroke-dasharray="${DASHES[detector]}" points="${curve.map((r) => `${x(r.delay!.p50)},${y(falseCutOffRate(r))}`).join(' ')}"/>`);
      for (const r of curve) parts.push(`<circle cx="${x(r.delay!.p50)}" cy="${y(falseCutOffRate(r))}" r="3" fill="${colour}"/>`);
      const def = mine.find(isDefault);
      if (def?.delay) parts.push(`<circle cx="${x(def.delay.p50)}" cy="${y(falseCutOffRate(def))}" r="7" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    parts.push(`<rect x="${WIDTH - PAD.right + 20}" y="${PAD.top + i * 22}" width="14" height="4" fill="${colour}"/>`, `<text x="${WIDTH - PAD.right + 40}" y="${PAD.top + i * 22 + 6}">${condition}</text>`);
  });
  detectors.forEach((detector, i) => {
    const top = PAD.top + (CONDITIONS.length + 1 + i) * 22;
    parts.push(`<line x1="${WIDTH - PAD.right + 12}" y1="${top + 2}" x2="${WIDTH - PAD.right + 36}" y2="${top + 2}" stroke="#333" stroke-width="2" stroke-dasharray="${DASHES[detector]}"/>`, `<text x="${WIDTH - PAD.right + 40}" y="${top + 6}">${DETECTOR_NAMES[detector]}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

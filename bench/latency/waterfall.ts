import type { RunSummary } from './report.js';
import { PROVIDER_TIMELINE_STAGES, TIMELINE_STAGE_LABELS, TIMELINE_STAGES } from './turn-timeline.js';

const WIDTH = 900;
const LABEL_W = 300;
const ROW_H = 26;
const BAR_H = 16;

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A waterfall of the median turn per agent: each stage's p50 as a bar starting where the previous
 * one ended, from the end of the caller's speech to the first sample heard. Provider stages are
 * drawn in one colour, the agent's own in another, the endpointing silence as a hatched band.
 */
export function renderWaterfall(title: string, agents: { name: string; summary: RunSummary }[], endpointingSilenceMs: number): string {
  const totals = agents.map((a) => TIMELINE_STAGES.reduce((n, s) => n + Math.max(0, a.summary.stages[s]?.p50 ?? 0), 0));
  const maxMs = Math.max(1000, ...totals, ...agents.map((a) => a.summary.endToEnd?.p50 ?? 0));
  const scale = (WIDTH - LABEL_W - 110) / (Math.ceil(maxMs / 250) * 250); // room on the right for the labels
  const x = (t: number) => LABEL_W + t * scale;
  const rows = agents.length * (TIMELINE_STAGES.length + 2);
  const height = 60 + rows * ROW_H + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="3"/></pattern></defs>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="10" y="40" fill="#555">p50 of each stage, from the end of the caller's speech (0 ms); blue: providers, orange: agent and transport</text>`,
  ];
  for (let t = 0; t <= maxMs; t += 250) {
    parts.push(`<line x1="${x(t)}" y1="50" x2="${x(t)}" y2="${height - 30}" stroke="#eee"/>`);
    parts.push(`<text x="${x(t)}" y="${height - 14}" text-anchor="middle" fill="#777">${t}</text>`);
  }
  let y = 60;
  for (const [i, agent] of agents.entries()) {
    parts.push(
      `<text x="10" y="${y + 16}" font-weight="bold">${escapeXml(agent.name)}: end to end p50 ${Math.round(agent.summary.endToEnd?.p50 ?? 0)} ms, overhead p50 ${Math.round(agent.summary.overhead?.p50 ?? 0)} ms</text>`,
    );
    y += ROW_H;
    parts.push(
      `<rect x="${x(0)}" y="${y}" width="${endpointingSilenceMs * scale}" height="${TIMELINE_STAGES.length * ROW_H}" fill="url(#hatch)" opacity="0.25"/>`,
    );
    let at = 0;
    for (const stage of TIMELINE_STAGES) {
      const v = agent.summary.stages[stage]?.p50;
      parts.push(`<text x="14" y="${y + 13}">${escapeXml(TIMELINE_STAGE_LABELS[stage])}</text>`);
      if (v !== undefined) {
        const from = v >= 0 ? at : at + v;
        const colour = PROVIDER_TIMELINE_STAGES.includes(stage) ? '#4a7fd4' : '#e8912d';
        parts.push(`<rect x="${x(from)}" y="${y + 2}" width="${Math.max(1, Math.abs(v) * scale)}" height="${BAR_H}" fill="${colour}"/>`);
        parts.push(`<text x="${x(Math.max(from + Math.abs(v), at)) + 4}" y="${y + 14}" fill="#333">${Math.round(v)}</text>`);
        at += v;
      }
      y += ROW_H;
    }
    const e2e = agent.summary.endToEnd?.p50;
    if (e2e !== undefined) {
      parts.push(
        `<line x1="${x(e2e)}" y1="${y - TIMELINE_STAGES.length * ROW_H}" x2="${x(e2e)}" y2="${y}" stroke="#c00" stroke-dasharray="4 3"/>`,
      );
      parts.push(`<text x="${x(e2e) + 4}" y="${y + 12}" fill="#c00">heard (e2e p50)</text>`);
    }
    y += i < agents.length - 1 ? ROW_H : 0;
  }
  parts.push(`<text x="${x(endpointingSilenceMs / 2)}" y="${height - 30}" text-anchor="middle" fill="#999">endpointing silence</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

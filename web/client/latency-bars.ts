import { createElement } from './dom';
import type { TurnLatency } from './turn-latency';

/** The least time a full bar stands for, so that a fast turn does not fill it. */
const MIN_FULL_SCALE_MS = 2000;
const KEPT_TURNS = 10;

/** The stages stacked in a turn's bar, in the order they happen. */
const STAGES = [
  { field: 'endOfTurnMs', name: 'end-of-turn', label: 'End of speech to end of turn' },
  { field: 'llmTtftMs', name: 'llm', label: 'LLM first token' },
  { field: 'ttsTtfbMs', name: 'tts', label: 'TTS first audio' },
] as const;

/** One row per recent turn: its stages as a stacked bar and its time to first audio. */
export class LatencyBars {
  readonly #list: HTMLOListElement;
  #turns: TurnLatency[] = [];

  constructor(list: HTMLOListElement) {
    this.#list = list;
  }

  add(turn: TurnLatency): void {
    this.#turns = [...this.#turns.filter((shown) => shown.turn !== turn.turn), turn].slice(-KEPT_TURNS);
    this.#render();
  }

  clear(): void {
    this.#turns = [];
    this.#render();
  }

  #render(): void {
    // One scale for every row, so that the bars compare; it grows when a slow turn would overflow it.
    const fullScaleMs = Math.max(MIN_FULL_SCALE_MS, ...this.#turns.map(extentMs));
    this.#list.replaceChildren(...this.#turns.map((turn) => turnRow(turn, fullScaleMs)));
  }
}

function extentMs(turn: TurnLatency): number {
  const stackedMs = STAGES.reduce((sum, stage) => sum + (turn[stage.field] ?? 0), 0);
  return Math.max(stackedMs, turn.firstAudioMs ?? 0);
}

function turnRow(turn: TurnLatency, fullScaleMs: number): HTMLLIElement {
  const row = createElement('li', 'latency-turn');
  row.dataset.turn = String(turn.turn);

  const label = createElement('span', 'latency-label', `Turn ${turn.turn}`);

  const bar = createElement('span', 'latency-bar');
  for (const stage of STAGES) {
    const ms = turn[stage.field];
    if (ms === undefined) continue;
    const segment = createElement('span', 'latency-stage');
    segment.dataset.stage = stage.name;
    segment.style.width = percentOf(ms, fullScaleMs);
    segment.title = `${stage.label}: ${Math.round(ms)} ms`;
    if (stage.field === 'endOfTurnMs' && turn.transcriptMs !== undefined) {
      segment.title += ` (final transcript after ${Math.round(turn.transcriptMs)} ms)`;
    }
    bar.append(segment);
  }

  const total = createElement('span', 'latency-total');
  if (turn.firstAudioMs === undefined) {
    total.textContent = 'first audio not measured';
  } else {
    total.textContent = `first audio ${Math.round(turn.firstAudioMs)} ms`;
    const marker = createElement('span', 'latency-first-audio');
    marker.style.left = percentOf(turn.firstAudioMs, fullScaleMs);
    marker.title = `First audio: ${Math.round(turn.firstAudioMs)} ms after end of speech`;
    bar.append(marker);
  }
  if (turn.interrupted) total.append(createElement('span', 'latency-interrupted', 'interrupted'));

  row.append(label, bar, total);
  return row;
}

function percentOf(ms: number, fullScaleMs: number): string {
  return `${((ms / fullScaleMs) * 100).toFixed(2)}%`;
}

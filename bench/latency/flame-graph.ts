import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of V8's `.cpuprofile` (node --cpu-prof) read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** A frame of the merged call tree: time in it and under it, by caller path. */
interface Frame {
  name: string;
  /** Where its code comes from: a package, node's own, the agent's, or V8. */
  origin: string;
  totalUs: number;
  children: Map<string, Frame>;
}

export interface JobFlameGraph {
  svg: string;
  /** Job processes profiled: those that served a call and the idle ones, whose start every call pays for. */
  profiles: number;
  busyS: number;
  /** CPU seconds by where the code comes from (self time), the largest first. */
  byOrigin: [origin: string, seconds: number][];
}

/** V8's pseudo-frames that are not work: time waiting for the event loop. */
const IDLE = new Set(['(idle)', '(program)']);
const WIDTH = 1200;
const ROW = 16;
/** Frames narrower than this share of the width are left out: unreadable, and they would bloat the SVG. */
const MIN_SHARE = 0.002;

/**
 * The job processes' CPU profiles in `dir` merged into one flame graph (SVG): each call path's
 * CPU time across every call of the run, idle time left out, coloured by where the code comes from.
 * A job process's profile is told by the framework's job entry in its frames; profiles written
 * before `since` (ms since the epoch: an earlier run's) are left out. Undefined when there is none.
 */
export function jobFlameGraph(dir: string, since: number): JobFlameGraph | undefined {
  const root: Frame = { name: 'job processes', origin: 'all', totalUs: 0, children: new Map() };
  let profiles = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && statSync(join(dir, f)).mtimeMs >= since)) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    if (!profile.nodes.some((n) => n.callFrame.url.includes('job_proc_lazy_main'))) continue;
    merge(root, profile);
    profiles++;
  }
  if (profiles === 0 || root.totalUs === 0) return undefined;
  const byOrigin = new Map<string, number>();
  const selfByOrigin = (f: Frame) => {
    const under = [...f.children.values()].reduce((n, c) => n + c.totalUs, 0);
    byOrigin.set(f.origin, (byOrigin.get(f.origin) ?? 0) + f.totalUs - under);
    for (const c of f.children.values()) selfByOrigin(c);
  };
  for (const c of root.children.values()) selfByOrigin(c);
  return {
    svg: render(root, profiles),
    profiles,
    busyS: root.totalUs / 1e6,
    byOrigin: [...byOrigin]
      .filter(([, us]) => us > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([o, us]) => [o, us / 1e6]),
  };
}

/** Adds one profile's samples to the tree, by the call path of each sampled node. */
function merge(root: Frame, profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const timeById = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    timeById.set(id, (timeById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  for (const [id, us] of timeById) {
    const leaf = byId.get(id)!;
    if (IDLE.has(leaf.callFrame.functionName)) continue;
    const path: CpuProfile['nodes'][number][] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) path.unshift(byId.get(at)!);
    let frame = root;
    frame.totalUs += us;
    for (const node of path.slice(1)) {
      const { functionName, url, lineNumber } = node.callFrame;
      const name = `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`.trim();
      let child = frame.children.get(name);
      if (!child) frame.children.set(name, (child = { name, origin: originOf(url, functionName), totalUs: 0, children: new Map() }));
      child.totalUs += us;
      frame = child;
    }
  }
}

function originOf(url: string, functionName: string): string {
  if (!url) return functionName === '(garbage collector)' ? 'gc' : 'V8/native';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node';
  if (/\/dist\/(agent|plugins)\//.test(url)) return 'ours';
  return 'other';
}

const PALETTE = ['#e8743b', '#f2b134', '#5b8ff9', '#61ddaa', '#9270ca', '#ff9d4d', '#269a99', '#ff99c3', '#6dc8ec', '#bfbfbf'];

function render(root: Frame, profiles: number): string {
  const origins = new Map<string, string>();
  const colour = (origin: string) => {
    if (origin === 'ours') return '#d62728';
    if (!origins.has(origin)) origins.set(origin, PALETTE[origins.size % PALETTE.length]!);
    return origins.get(origin)!;
  };
  const rects: string[] = [];
  let depth = 0;
  const draw = (f: Frame, x: number, level: number) => {
    const w = (f.totalUs / root.totalUs) * WIDTH;
    if (w < MIN_SHARE * WIDTH) return;
    depth = Math.max(depth, level);
    const label = `${f.name} (${f.origin}): ${(f.totalUs / 1e6).toFixed(2)} s, ${((100 * f.totalUs) / root.totalUs).toFixed(1)} %`;
    const text =
      w > 60
        ? `<text x="${(x + 3).toFixed(1)}" y="${level * ROW + 12}" font-size="10">${escapeXml(truncate(f.name, Math.floor(w / 6)))}</text>`
        : '';
    rects.push(
      `<g><title>${escapeXml(label)}</title><rect x="${x.toFixed(1)}" y="${level * ROW}" width="${w.toFixed(1)}" height="${ROW - 1}" fill="${colour(f.origin)}"/>${text}</g>`,
    );
    let childX = x;
    for (const c of [...f.children.values()].sort((a, b) => b.totalUs - a.totalUs)) {
      draw(c, childX, level + 1);
      childX += (c.totalUs / root.totalUs) * WIDTH;
    }
  };
  draw(root, 0, 0);
  const legendY = (depth + 2) * ROW;
  const legend = [['ours', '#d62728'], ...origins].map(
    ([o, c], i) =>
      `<rect x="${(i % 4) * 300}" y="${legendY + Math.floor(i / 4) * ROW}" width="10" height="10" fill="${c}"/><text x="${(i % 4) * 300 + 14}" y="${legendY + Math.floor(i / 4) * ROW + 9}" font-size="10">${escapeXml(o!)}</text>`,
  );
  const height = legendY + Math.ceil(legend.length / 4) * ROW + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="monospace">`,
    `<desc>CPU time of ${profiles} job processes, callers above callees (icicle), idle left out: ${(root.totalUs / 1e6).toFixed(1)} s busy. Hover a frame for its time.</desc>`,
    ...rects,
    ...legend,
    '</svg>',
  ].join('\n');
}

function truncate(s: string, chars: number): string {
  return s.length <= chars ? s : `${s.slice(0, Math.max(0, chars - 1))}…`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

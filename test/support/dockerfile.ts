export interface Stage {
  name: string;
  base: string;
  /** Its instructions after FROM, continuation lines joined. */
  lines: string[];
}

/** The stages of a Dockerfile: `FROM image [AS name]` and the instructions up to the next FROM. */
export function dockerfileStages(source: string): Stage[] {
  const lines = source
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ base: from[1]!, name: from[2] ?? String(stages.length), lines: [] });
    else stages.at(-1)!.lines.push(line);
  }
  return stages;
}

/** A stage and the stages it is built FROM, nearest first (an image it starts from is not a stage). */
export function stageChain(stages: Stage[], name: string): Stage[] {
  const stageNamed = (n: string) => stages.find((s) => s.name === n);
  const chain: Stage[] = [];
  for (let stage = stageNamed(name); stage; stage = stageNamed(stage.base)) chain.push(stage);
  return chain;
}

/** The last `INSTRUCTION args` in effect for a target: its own, else inherited from the stage it starts from. */
export function effective(stages: Stage[], target: string, instruction: string): string | undefined {
  for (const stage of stageChain(stages, target)) {
    const found = stage.lines.filter((l) => l.toUpperCase().startsWith(`${instruction} `)).at(-1);
    if (found) return found.slice(instruction.length + 1).trim();
  }
  return undefined;
}

/** A target's CMD, as exec form. */
export const cmdOf = (stages: Stage[], target: string) => JSON.parse(effective(stages, target, 'CMD') ?? 'null') as string[] | null;

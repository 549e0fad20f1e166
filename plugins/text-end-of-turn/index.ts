import { Plugin } from '@livekit/agents';

export { installedModelPath } from './model-file.js';
export { endOfTurnPrompt } from './prompt.js';
export { type TextEndOfTurnScore, TextEndOfTurnScorer, type TextEndOfTurnScorerOptions } from './scorer.js';
export { registerTextEndOfTurnRunner, TextEndOfTurn } from './text-end-of-turn.js';

class TextEndOfTurnPlugin extends Plugin {
  constructor() {
    super({ title: 'text-end-of-turn', version: '0.1.0', package: 'plugins/text-end-of-turn' });
  }
}

Plugin.registerPlugin(new TextEndOfTurnPlugin());

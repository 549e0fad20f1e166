import { Plugin } from '@livekit/agents';

export { type GateSettings, SpeechLevelGatedVAD } from './gated-vad.js';
export { DEFAULT_SPEECH_LEVEL_GATE, levelDb, SpeechLevelGate, type SpeechLevelGateOptions } from './speech-level-gate.js';

class SpeechLevelGatePlugin extends Plugin {
  constructor() {
    super({ title: 'speech-level-gate', version: '0.1.0', package: 'plugins/speech-level-gate' });
  }
}

Plugin.registerPlugin(new SpeechLevelGatePlugin());

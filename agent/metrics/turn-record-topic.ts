/**
 * The data-message topic on which the agent publishes each turn's latency record to its room, for
 * the caller's page to show (web/client). No imports: the browser bundle takes it from here.
 */
export const TURN_RECORD_TOPIC = 'agent.turn-latency';

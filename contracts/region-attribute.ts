/** The agent participant's attribute naming the region of the worker pool it came from (`worker.region`). */
export const REGION_ATTRIBUTE = 'voice-agent.region';

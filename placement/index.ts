/**
 * The placement service (docs/regions.md): which region, server and agent a new call goes to, and
 * the watch that moves it when no agent comes. The web front (web/server) serves it as `POST
 * /api/call`; the image target `placement` runs that front.
 */

export { NoRoomError, type PlacedCall, Placement, type PlacementOptions } from './placement.js';
export { choosePlacement, type PlacementChoice, type PlacementReason } from './placement-choice.js';
export { type Region, Regions, UnknownRegionError } from './regions.js';

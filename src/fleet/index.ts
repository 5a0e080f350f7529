/**
 * Several hosts on one PostgreSQL: membership (register, heartbeat, lease, fencing), lost-host
 * detection, placement, forwarding to a VM's owner, drain, and host administration.
 * See docs/fleet.md.
 * @module
 */
export { FleetMember, type FleetMemberOptions, type MemberState } from './member.js';
export { DEFAULT_FLEET_SETTINGS, fenceAfterMs, fleetSettingsFromEnv, type FleetSettings } from './settings.js';
export { planPlacement, type PlacementInput } from './placement.js';
export { OwnerClient, INTERNAL_PREFIX } from './owner-client.js';
export { internalFleetRoutes, type InternalRouteDeps } from './internal-routes.js';
export { detectLostHosts, isStale, type LostHost } from './lost-hosts.js';
export { cleanUpReplaced, type RejoinReport } from './rejoin.js';
export { drainPass } from './drain.js';
export { drainHost, listHostViews, removeHost, requireHost, showHost, type HostView } from './registry.js';
export { LatencyRecorder, type LatencySummary } from './latency.js';

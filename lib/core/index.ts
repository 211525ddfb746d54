/**
 * charmkit/core: what every layer shares — the error base and its remedy, JSON values, and time.
 *
 * This list is the public API; anything not exported here is private.
 */
export { CharmkitError, remedyOf } from './errors.js';
export type { Remedy } from './errors.js';
export type { JsonObject, JsonValue } from './json.js';
export type { Cidr, IpAddress } from './net.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';

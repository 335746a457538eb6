import { checkNumber, checkPositive } from './internal/check.js';

/**
 * What the cloud tier reports about itself (the load monitor's view of a worker, or the cloud-wide
 * summary): how many requests wait, how many are being served, how long one takes, and how many it
 * serves at once without slowing each down.
 */
export interface CloudLoad {
  /** Requests waiting in the queue, not yet being served. */
  readonly queueDepth: number;
  /** Requests being served now. @default 0 */
  readonly inFlight?: number | undefined;
  /** Mean service time of one request at the worker (EWMA of recent requests), ms. */
  readonly serviceTimeMs: number;
  /** Requests served in parallel at idle speed (batch slots x replicas behind this view). */
  readonly capacity: number;
}

/** What the device knows about itself: how busy its compute is with other work. */
export interface MobileLoad {
  /** Fraction (0..1) of the device's compute already busy with other work. */
  readonly utilisation: number;
}

/** An idle cloud. */
export const IDLE_CLOUD: CloudLoad = Object.freeze({
  queueDepth: 0,
  inFlight: 0,
  serviceTimeMs: 0,
  capacity: 1,
});

/** An idle device. */
export const IDLE_MOBILE: MobileLoad = Object.freeze({ utilisation: 0 });

/** The mobile stretch is capped at 1 / (1 - 0.95) = 20x so that a saturated device is slow, not infinite. */
export const MAX_MOBILE_UTILISATION = 0.95;

/** How the cloud's load changes a candidate's cloud time: `TC' = TC * stretch + waitMs`. */
export interface CloudStretch {
  /** Time a new request waits behind the queue, ms: `queueDepth * serviceTimeMs / capacity`. */
  readonly waitMs: number;
  /** Processor-sharing factor on the compute itself: `max(1, inFlight / capacity)`. */
  readonly stretch: number;
  /** K_cloud, the load level: `(queueDepth + inFlight) / capacity` (0 idle, 1 full, >1 queueing). */
  readonly level: number;
}

/**
 * The cloud load model. A request that arrives behind `queueDepth` waiting requests, served
 * `capacity` at a time at `serviceTimeMs` each, waits about `queueDepth * serviceTimeMs / capacity`
 * before it starts (the drain time of the queue). While it runs, more requests in flight than the
 * worker serves at idle speed share its compute, so the tail's own time stretches by
 * `inFlight / capacity` (at least 1). The wait is the same for every candidate that uses the cloud;
 * the stretch is proportional to the candidate's tail, so congestion first moves the split deeper
 * (shorter tails), then to mobile-only.
 */
export function cloudStretch(load: CloudLoad): CloudStretch {
  const queueDepth = checkNumber('cloudLoad.queueDepth', load.queueDepth);
  const inFlight = checkNumber('cloudLoad.inFlight', load.inFlight ?? 0);
  const serviceTimeMs = checkNumber('cloudLoad.serviceTimeMs', load.serviceTimeMs);
  const capacity = checkPositive('cloudLoad.capacity', load.capacity);
  return {
    waitMs: (queueDepth * serviceTimeMs) / capacity,
    stretch: Math.max(1, inFlight / capacity),
    level: (queueDepth + inFlight) / capacity,
  };
}

/** A candidate's expected cloud time under `load`, ms (`idleCloudMs` is its TC at idle). */
export function expectedCloudMs(idleCloudMs: number, load: CloudLoad): number {
  const s = cloudStretch(load);
  return idleCloudMs * s.stretch + s.waitMs;
}

/**
 * The mobile load model: the device shares its compute with other work that keeps it `utilisation`
 * busy, so the head gets the remaining `1 - utilisation` and its time stretches by
 * `1 / (1 - utilisation)` (processor sharing), capped at {@link MAX_MOBILE_UTILISATION}.
 */
export function mobileStretch(load: MobileLoad): number {
  const u = checkNumber('mobileLoad.utilisation', load.utilisation, 0, 1);
  return 1 / (1 - Math.min(u, MAX_MOBILE_UTILISATION));
}

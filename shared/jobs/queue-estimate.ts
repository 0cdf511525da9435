/**
 * How long a job may still wait in a service's queue, from how its own position moved: the service
 * reports only a position (Cloudgene's `positionInQueue`), so the pace is measured from the positions
 * this job was seen at, and the estimate carries its basis (how many places over how long). No estimate
 * without a basis worth the name: at least two places moved over at least two minutes.
 */

/** A position of the job in the service's queue, and when it was seen (0 = next to start). */
export interface QueueSighting {
  at: string;
  position: number;
}

/** Sightings kept on a job: enough for the recent pace, small in its item. */
export const MAX_QUEUE_SIGHTINGS = 12;

const MIN_PLACES = 2;
const MIN_SPAN_MS = 2 * 60_000;

/** The trail with this sighting, when the position changed (or the trail is empty). */
export function withSighting(trail: readonly QueueSighting[] = [], sighting: QueueSighting): QueueSighting[] {
  if (sighting.position < 0) return [...trail];
  if (trail.at(-1)?.position === sighting.position) return [...trail];
  // A position that grows again (the service reordered its queue) starts a new trail.
  const kept = trail.at(-1) !== undefined && sighting.position > trail.at(-1)!.position ? [] : trail;
  return [...kept, sighting].slice(-MAX_QUEUE_SIGHTINGS);
}

export interface QueueEstimate {
  /** Whole minutes until the job should start, at the measured pace (at least 1). */
  minutes: number;
  /** The basis: places the job moved up, over how many minutes. */
  places: number;
  overMinutes: number;
}

export function queueEstimate(
  trail: readonly QueueSighting[] = [],
  position: number | null | undefined,
  now: Date = new Date(),
) {
  if (position == null || position < 0 || trail.length < 2) return null;
  const first = trail[0]!;
  const last = trail.at(-1)!;
  const places = first.position - last.position;
  // The pace up to now: a queue that stopped moving since its last step slows the estimate down with it.
  const spanMs = Math.max(Date.parse(last.at), now.getTime()) - Date.parse(first.at);
  if (places < MIN_PLACES || spanMs < MIN_SPAN_MS) return null;
  const msPerPlace = spanMs / places;
  // Position 0 is the next job to start: it waits for about one more place.
  return {
    minutes: Math.max(1, Math.round(((position + 1) * msPerPlace) / 60_000)),
    places,
    overMinutes: Math.round(spanMs / 60_000),
  } satisfies QueueEstimate;
}

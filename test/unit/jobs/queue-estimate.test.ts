import { describe, expect, it } from 'vitest';
import { MAX_QUEUE_SIGHTINGS, queueEstimate, withSighting } from '#shared/jobs/queue-estimate';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 10, minute)).toISOString();

describe('the wait in a service queue, estimated from how the job’s own position moved', () => {
  it('keeps a sighting only when the position changed, and starts again when it grows', () => {
    let trail = withSighting([], { at: at(0), position: 30 });
    trail = withSighting(trail, { at: at(1), position: 30 });
    trail = withSighting(trail, { at: at(5), position: 25 });
    expect(trail).toEqual([
      { at: at(0), position: 30 },
      { at: at(5), position: 25 },
    ]);
    expect(withSighting(trail, { at: at(6), position: 40 })).toEqual([{ at: at(6), position: 40 }]);
    for (let i = 0; i < 30; i++) trail = withSighting(trail, { at: at(6 + i), position: 24 - i });
    expect(trail).toHaveLength(MAX_QUEUE_SIGHTINGS);
  });

  it('estimates at the measured pace and says its basis', () => {
    // 10 places in 20 minutes: 2 minutes a place; at position 14 (15th) about 30 minutes.
    const trail = [
      { at: at(0), position: 24 },
      { at: at(20), position: 14 },
    ];
    expect(queueEstimate(trail, 14, new Date(at(20)))).toEqual({ minutes: 30, places: 10, overMinutes: 20 });
  });

  it('slows down with a queue that stopped moving: the pace is measured up to now', () => {
    const trail = [
      { at: at(0), position: 10 },
      { at: at(10), position: 5 },
    ];
    // 5 places in 10 minutes, then 3 hours without a move: 5 places in 190 minutes, 38 a place.
    expect(queueEstimate(trail, 5, new Date(Date.parse(at(10)) + 180 * 60_000))).toEqual({
      minutes: 228,
      places: 5,
      overMinutes: 190,
    });
  });

  it('gives no estimate without a basis: one place, under two minutes, or no position', () => {
    // Each asked at the moment of its last sighting (the pace is measured up to now).
    expect(queueEstimate([{ at: at(0), position: 5 }], 5, new Date(at(0)))).toBeNull();
    expect(
      queueEstimate(
        [
          { at: at(0), position: 5 },
          { at: at(30), position: 4 },
        ],
        4,
        new Date(at(30)),
      ),
    ).toBeNull();
    expect(
      queueEstimate(
        [
          { at: at(0), position: 9 },
          { at: at(1), position: 5 },
        ],
        5,
        new Date(at(1)),
      ),
    ).toBeNull();
    expect(queueEstimate([], null)).toBeNull();
  });
});

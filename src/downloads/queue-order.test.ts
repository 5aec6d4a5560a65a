import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendKeys,
  compareQueued,
  keyForTime,
  planMove,
  type Anchor,
  type Placed,
} from './queue-order.js';

/** Applies a plan to a queue and returns the ids in run order. */
function apply(queue: Placed[], ids: string[], anchor: Anchor): string[] {
  const moves = new Map(planMove(ids, anchor).map((m) => [m.id, m]));
  return queue
    .map((d) => ({ ...d, ...(moves.get(d.id) ?? {}) }))
    .sort(compareQueued)
    .map((d) => d.id);
}

/** The repository's neighbour lookups, done on an array. */
function anchorFor(
  queue: Placed[],
  moving: string[],
  where: { kind: 'head' } | { kind: 'before' | 'after'; id: string },
): Anchor {
  const rest = queue.filter((d) => !moving.includes(d.id)).sort(compareQueued);
  if (where.kind === 'head') return { kind: 'head', first: rest[0] ?? null };
  const i = rest.findIndex((d) => d.id === where.id);
  const target = rest[i] as Placed;
  const same = (d: Placed | undefined) => (d && d.priority === target.priority ? d : null);
  return where.kind === 'before'
    ? { kind: 'before', target, previous: same(rest[i - 1]) }
    : { kind: 'after', target, next: same(rest[i + 1]) };
}

function queueOf(priorities: number[]): Placed[] {
  const keys = appendKeys(null, priorities.length);
  return priorities.map((priority, i) => ({ id: `d${i}`, priority, position: keys[i] as string }));
}

describe('queue order', () => {
  it('puts moved ids at the head, in the order given, above a higher priority', () => {
    const queue = queueOf([5, 0, 0, 0]);
    const order = apply(queue, ['d3', 'd2'], anchorFor(queue, ['d3', 'd2'], { kind: 'head' }));
    expect(order).toEqual(['d3', 'd2', 'd0', 'd1']);
  });

  it('places before and after a download, taking its priority', () => {
    const queue = queueOf([10, 10, 0, 0]);
    expect(apply(queue, ['d3'], anchorFor(queue, ['d3'], { kind: 'before', id: 'd1' }))).toEqual([
      'd0',
      'd3',
      'd1',
      'd2',
    ]);
    expect(
      apply(queue, ['d2', 'd3'], anchorFor(queue, ['d2', 'd3'], { kind: 'after', id: 'd0' })),
    ).toEqual(['d0', 'd2', 'd3', 'd1']);
  });

  it('always yields exactly the requested order around the anchor (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 2, maxLength: 30 }),
        fc.infiniteStream(fc.nat()),
        fc.constantFrom('head', 'before', 'after'),
        (priorities, picks, kind) => {
          let queue = queueOf(priorities);
          const it = picks[Symbol.iterator]();
          // Several moves in a row: keys get longer, never collide, never need a renumbering.
          for (let round = 0; round < 5; round++) {
            const ids = queue.map((d) => d.id);
            const moving = [
              ...new Set(
                [0, 1, 2].map(() => ids[(it.next().value as number) % ids.length] as string),
              ),
            ];
            const others = ids.filter((id) => !moving.includes(id));
            if (others.length === 0) return;
            const target = others[(it.next().value as number) % others.length] as string;
            const where = kind === 'head' ? { kind } : { kind, id: target };
            const anchor = anchorFor(queue, moving, where as never);
            const order = apply(queue, moving, anchor);
            const rest = order.filter((id) => !moving.includes(id));
            const at = kind === 'head' ? 0 : rest.indexOf(target) + (kind === 'after' ? 1 : 0);
            expect(order).toEqual([...rest.slice(0, at), ...moving, ...rest.slice(at)]);
            const moves = new Map(planMove(moving, anchor).map((m) => [m.id, m]));
            queue = queue.map((d) => ({ ...d, ...(moves.get(d.id) ?? {}) }));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('keys for new downloads', () => {
  it('sort by creation time and are valid keys to move around', () => {
    const times = [0, 1, 61, 62, 1_700_000_000_000, 1_700_000_000_001, 3_000_000_000_000];
    const keys = times.map(keyForTime);
    expect([...keys].sort()).toEqual(keys);
    for (const key of keys) {
      expect(
        planMove(['x'], {
          kind: 'after',
          target: { id: 'a', priority: 0, position: key },
          next: null,
        })[0]!.position > key,
      ).toBe(true);
      expect(
        planMove(['x'], { kind: 'head', first: { id: 'a', priority: 0, position: key } })[0]!
          .position < key,
      ).toBe(true);
    }
  });
});

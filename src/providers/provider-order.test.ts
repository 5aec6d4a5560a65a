import { describe, expect, it } from 'vitest';
import { currentIndexer, nextIndexer, searchOrder } from './provider-order.js';

const configured = ['slskd', 'nzbgeek', 'jackett'];

describe('searchOrder', () => {
  it.each([
    { wanted: [], order: ['slskd', 'nzbgeek', 'jackett'] },
    { wanted: ['jackett', 'slskd'], order: ['jackett', 'slskd'] },
    { wanted: ['gone', 'nzbgeek'], order: ['nzbgeek'] },
    { wanted: ['gone'], order: ['slskd', 'nzbgeek', 'jackett'] },
    { wanted: ['slskd', 'slskd', 'jackett'], order: ['slskd', 'jackett'] },
  ])('$wanted → $order', ({ wanted, order }) => {
    expect(searchOrder(configured, wanted)).toEqual(order);
  });

  it('never answers an empty order while something is configured', () => {
    for (const wanted of [[], ['x'], ['x', 'y']]) {
      expect(searchOrder(configured, wanted).length).toBeGreaterThan(0);
    }
  });
});

describe('currentIndexer and nextIndexer', () => {
  const order = ['slskd', 'nzbgeek', 'jackett'];
  it('starts at the first, keeps a stored one that is still in the order', () => {
    expect(currentIndexer(order, null)).toBe('slskd');
    expect(currentIndexer(order, 'nzbgeek')).toBe('nzbgeek');
    expect(currentIndexer(order, 'removed')).toBe('slskd');
  });

  it('walks the order once, then ends', () => {
    const seen: string[] = [];
    for (let id: string | null = currentIndexer(order, null); id; id = nextIndexer(order, id)) {
      seen.push(id);
    }
    expect(seen).toEqual(order);
    expect(nextIndexer(order, 'removed')).toBeNull();
  });
});

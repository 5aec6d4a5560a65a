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
      for (const preferred of [undefined, null, 'x', 'jackett']) {
        expect(searchOrder(configured, wanted, preferred).length).toBeGreaterThan(0);
      }
    }
  });
});

describe('searchOrder with a preferred provider', () => {
  it.each([
    // First, then the profile's list without it: searched once.
    { wanted: ['slskd', 'jackett'], preferred: 'jackett', order: ['jackett', 'slskd'] },
    { wanted: ['slskd', 'nzbgeek'], preferred: 'slskd', order: ['slskd', 'nzbgeek'] },
    // Not in the profile's list: still first, the list after it.
    { wanted: ['slskd', 'nzbgeek'], preferred: 'jackett', order: ['jackett', 'slskd', 'nzbgeek'] },
    // An empty list (or one naming nothing configured): every configured one after it.
    { wanted: [], preferred: 'nzbgeek', order: ['nzbgeek', 'slskd', 'jackett'] },
    { wanted: ['gone'], preferred: 'jackett', order: ['jackett', 'slskd', 'nzbgeek'] },
    // Not configured (removed since the request): ignored, the order as without it.
    { wanted: ['jackett', 'slskd'], preferred: 'gone', order: ['jackett', 'slskd'] },
    { wanted: [], preferred: 'gone', order: ['slskd', 'nzbgeek', 'jackett'] },
    { wanted: ['nzbgeek'], preferred: null, order: ['nzbgeek'] },
    { wanted: ['nzbgeek'], preferred: '', order: ['nzbgeek'] },
  ])('$preferred over $wanted → $order', ({ wanted, preferred, order }) => {
    expect(searchOrder(configured, wanted, preferred)).toEqual(order);
  });

  it('never repeats a provider, and keeps every one of the order without it', () => {
    const lists = [[], ['slskd'], ['jackett', 'slskd', 'jackett'], ['gone', 'nzbgeek']];
    for (const wanted of lists) {
      for (const preferred of configured) {
        const order = searchOrder(configured, wanted, preferred);
        expect(new Set(order).size).toBe(order.length);
        expect(order[0]).toBe(preferred);
        const rest = searchOrder(configured, wanted).filter((id) => id !== preferred);
        expect(order.slice(1)).toEqual(rest);
      }
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

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { completed, startNotifier } from './helpers/notifier.js';
import { startReceiver, type Receiver, type Respond } from './helpers/receiver.js';
import { sleep, waitUntil } from './helpers/wait.js';

type Notifier = Awaited<ReturnType<typeof startNotifier>>;
interface Delivery {
  event: string;
  outcome: string;
  statusCode: number | null;
  attempt: number;
}
interface TargetView {
  id: string;
  enabled: boolean;
  disabledReason: string | null;
  retryAfterUntil: string | null;
}

/** What a target's answer asks for: Retry-After on 429/503, and 410 Gone (target-answer.ts). */
describe.each(testDialects())('notification target answers on %s', (dialect) => {
  let db: TestDb;
  let n: Notifier;
  let receiver: Receiver;
  /** When each request arrived (ms), by index. */
  let times: number[];

  const respond = (fn: Respond): void =>
    receiver.setRespond((req, i) => {
      times[i] = Date.now();
      return fn(req, i);
    });

  beforeEach(async () => {
    db = await freshDb(dialect);
    receiver = await startReceiver();
    times = [];
    // The retry ladder is 40 ms here: any wait of a second comes from the target's answer.
    n = await startNotifier(db, {
      settings: { allowedPrivateTargets: [`127.0.0.1:${receiver.port}`] },
      retryDelayMs: () => 40,
    });
  });
  afterEach(async () => {
    await n.stop();
    await receiver.close();
    await db.cleanup();
  });

  const create = async () => {
    const res = await n.call('POST', '/api/notifications', {
      name: 'hook',
      type: 'webhook',
      url: receiver.url,
      events: ['download.completed', 'download.failed'],
    });
    expect(res.status, res.text).toBe(201);
    return res.body as unknown as TargetView;
  };
  const view = async (id: string) =>
    (await n.call<TargetView>('GET', `/api/notifications/${id}`)).body;
  const deliveries = async (id: string) =>
    (await n.call<{ items: Delivery[] }>('GET', `/api/notifications/${id}/deliveries`)).body.items;

  it('a 429 with Retry-After holds every delivery to that target until then, spending no attempt', async () => {
    respond((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : 200));
    const t = await create();
    expect(t.retryAfterUntil).toBeNull();
    await n.append([completed(1)]);
    await waitUntil(() => receiver.requests.length >= 1, { what: 'the first attempt' });
    await waitUntil(async () => (await view(t.id)).retryAfterUntil !== null, {
      what: 'the wait shown on the target',
    });
    const until = Date.parse((await view(t.id)).retryAfterUntil!);
    expect(until - times[0]!).toBeGreaterThan(1500);
    expect(until - times[0]!).toBeLessThan(2600);
    // Another event's message for the same target, due at once, waits as well.
    await n.append([completed(2, 'failed')]);
    await sleep(600);
    expect(receiver.requests).toHaveLength(1);
    await waitUntil(() => receiver.requests.length >= 3, {
      what: 'both messages',
      timeoutMs: 8000,
    });
    for (const at of times.slice(1)) expect(at - times[0]!).toBeGreaterThanOrEqual(1900);
    await waitUntil(async () => (await deliveries(t.id)).length === 3, { what: '3 records' });
    const records = (await deliveries(t.id)).map((d) => [
      d.event,
      d.attempt,
      d.outcome,
      d.statusCode,
    ]);
    expect(records).toEqual(
      expect.arrayContaining([
        ['download.completed', 1, 'failed', 429],
        ['download.completed', 2, 'delivered', 200],
        // Held back without a request: still its first attempt.
        ['download.failed', 1, 'delivered', 200],
      ]),
    );
    expect((await view(t.id)).retryAfterUntil).toBeNull();
  });

  it('a 503 without Retry-After follows the retry ladder as before', async () => {
    respond((_r, i) => (i === 0 ? 503 : 200));
    const t = await create();
    await n.append([completed(3)]);
    await waitUntil(() => receiver.requests.length >= 2, { what: 'the retry' });
    expect(times[1]! - times[0]!).toBeLessThan(1000);
    expect((await view(t.id)).enabled).toBe(true);
  });

  it('a 410 Gone disables the target with its reason shown, until the user enables it again', async () => {
    respond((_r, i) => (i === 0 ? { status: 410, body: 'webhook deleted' } : 200));
    const t = await create();
    await n.append([completed(4)]);
    await waitUntil(async () => (await view(t.id)).enabled === false, { what: 'the disable' });
    const off = await view(t.id);
    expect(off.disabledReason).toMatch(/410 Gone/);
    expect((await n.call<{ items: TargetView[] }>('GET', '/api/notifications')).body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: t.id, disabledReason: off.disabledReason }),
      ]),
    );
    const [d] = await deliveries(t.id);
    expect(d).toMatchObject({ attempt: 1, outcome: 'dead', statusCode: 410 });
    // Not retried, and later events are not sent to it.
    await n.append([completed(5)]);
    await sleep(500);
    expect(receiver.requests).toHaveLength(1);
    const on = await n.call<TargetView>('PATCH', `/api/notifications/${t.id}`, { enabled: true });
    expect(on.status, on.text).toBe(200);
    expect(on.body).toMatchObject({ enabled: true, disabledReason: null });
    await n.append([completed(6)]);
    await waitUntil(() => receiver.requests.length >= 2, { what: 'delivery after enabling' });
  });
  it('an edit saved while a delivery is in flight stays; a 410 about an old URL disables nothing', async () => {
    respond(() => 'hold');
    const t = await create();
    await n.append([completed(7)]);
    await waitUntil(() => receiver.requests.length >= 1, { what: 'the held delivery' });
    const renamed = await n.call<TargetView & { name: string }>(
      'PATCH',
      `/api/notifications/${t.id}`,
      {
        name: 'renamed while sending',
      },
    );
    expect(renamed.status, renamed.text).toBe(200);
    receiver.release(410);
    await waitUntil(async () => (await view(t.id)).enabled === false, { what: 'the disable' });
    const after = (await n.call<TargetView & { name: string }>('GET', `/api/notifications/${t.id}`))
      .body;
    // The delivery's own (older) copy of the target did not overwrite the rename.
    expect(after.name).toBe('renamed while sending');

    // Enabled again and pointed elsewhere while the next delivery is out: that 410 is about a URL
    // the target no longer has, so it stays enabled.
    const back = await n.call('PATCH', `/api/notifications/${t.id}`, { enabled: true });
    expect(back.status, back.text).toBe(200);
    await n.append([completed(8)]);
    await waitUntil(() => receiver.requests.length >= 2, { what: 'the second held delivery' });
    const moved = await n.call('PATCH', `/api/notifications/${t.id}`, {
      url: `${receiver.url}/v2`,
    });
    expect(moved.status, moved.text).toBe(200);
    receiver.release(410);
    await waitUntil(
      async () =>
        (await deliveries(t.id)).some(
          (d) => d.outcome === 'dead' && d.attempt === 1 && d.statusCode === 410,
        ) && (await deliveries(t.id)).filter((d) => d.statusCode === 410).length >= 2,
      { what: 'the second 410 recorded' },
    );
    expect((await view(t.id)).enabled).toBe(true);
  });
});

/** A target that answers every try with 429 and a new Retry-After does not hold messages for ever. */
describe.each(testDialects())('a target that always asks to wait, on %s', (dialect) => {
  let db: TestDb;
  let n: Notifier;
  let receiver: Receiver;

  beforeEach(async () => {
    db = await freshDb(dialect);
    receiver = await startReceiver();
    receiver.setRespond(() => ({ status: 429, headers: { 'retry-after': '1' } }));
    // The hold limit is 1.5 s here (two days in use); the retry ladder is 40 ms. One delivery at
    // a time: when a hold ends, one message is sent (and answered 429 again) before the other
    // is looked at, which then finds the target holding once more, round after round.
    n = await startNotifier(db, {
      settings: { allowedPrivateTargets: [`127.0.0.1:${receiver.port}`] },
      retryDelayMs: () => 40,
      holdLimitMs: 1500,
      concurrency: 1,
    });
  });
  afterEach(async () => {
    await n.stop();
    await receiver.close();
    await db.cleanup();
  });

  it('gives a held message up as dead after the hold limit, with the reason, long before its last attempt', async () => {
    const created = await n.call<TargetView>('POST', '/api/notifications', {
      name: 'busy',
      type: 'webhook',
      url: receiver.url,
      events: ['download.completed'],
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    await n.append([completed(11)]);
    await waitUntil(() => receiver.requests.length >= 1, { what: 'the first try' });
    await n.append([completed(12)]);
    type Row = Delivery & { error: string | null; messageId: string };
    const rows = async () =>
      (await n.call<{ items: Row[] }>('GET', `/api/notifications/${id}/deliveries`)).body.items;
    const dead = await waitUntil(
      async () => (await rows()).find((d) => d.outcome === 'dead') ?? null,
      { what: 'the message given up', timeoutMs: 10_000 },
    );
    expect(dead.error).toMatch(/kept asking to wait \(Retry-After\) for more than 2 s/);
    // Given up while held, not sent: its attempt is the one after the tries that were sent (a
    // hold spends none), far below the ladder's 16. Which of the two messages dies first depends
    // on whether the first was held or sent when its hold ended: either way the count holds.
    const sent = receiver.requests.filter((r) => r.headers['webhook-id'] === dead.messageId);
    expect(sent.length).toBeLessThanOrEqual(2);
    expect(dead).toMatchObject({
      event: 'download.completed',
      attempt: sent.length + 1,
      statusCode: null,
    });
    const before = receiver.requests.length;
    await sleep(1500);
    // The other message still tries (each try a counted attempt) until it too is held past the
    // limit; a dead one is not sent again: at most one request per 1 s hold.
    expect(receiver.requests.length - before).toBeLessThanOrEqual(2);
    expect(n.warnings.some((w) => /Retry-After/.test(w.msg ?? ''))).toBe(true);
  });
});

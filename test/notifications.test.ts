import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNotificationsRepository } from '../src/notifications/notifications.repository.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { completed, startNotifier } from './helpers/notifier.js';
import { freePort } from './helpers/process.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { sleep, waitUntil } from './helpers/wait.js';

/** The `data` of a webhook body. */
interface Payload {
  id: string;
  title: string;
  message: string;
  count: number;
  items: { libraryPath?: string }[];
  truncated: boolean;
}
type Notifier = Awaited<ReturnType<typeof startNotifier>>;
interface Delivery {
  outcome: string;
  statusCode: number | null;
  error: string | null;
  messageId: string;
  count: number;
  attempt: number;
  durationMs: number;
}

describe.each(testDialects())('notifications on %s', (dialect) => {
  let db: TestDb;
  let n: Notifier;
  let receiver: Receiver;
  let canary: Receiver;

  beforeEach(async () => {
    db = await freshDb(dialect);
    receiver = await startReceiver();
    canary = await startReceiver();
    // Only the receiver is let through: the canary on the same loopback must never be reached.
    n = await startNotifier(db, {
      settings: { allowedPrivateTargets: [`127.0.0.1:${receiver.port}`] },
      retryDelayMs: () => 40,
    });
  });
  afterEach(async () => {
    await n.stop();
    await receiver.close();
    await canary.close();
    await db.cleanup();
  });

  const create = async (body: Record<string, unknown>) => {
    const res = await n.call('POST', '/api/notifications', {
      name: 'target',
      events: ['download.completed', 'download.failed'],
      ...body,
    });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; secret?: string; hasSecret: boolean };
  };
  const deliveries = async (id: string) =>
    (await n.call<{ items: Delivery[] }>('GET', `/api/notifications/${id}/deliveries`)).body.items;
  const received = (count: number, r = receiver) =>
    waitUntil(() => r.requests.length >= count && r.requests, { what: `${count} requests` });

  it('signs a webhook per Standard Webhooks (verified by the standardwebhooks package)', async () => {
    const t = await create({ type: 'webhook', url: `${receiver.url}/hook` });
    expect(t.secret).toMatch(/^whsec_/);
    await n.append([completed(1)]);
    const [req] = await received(1);
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/hook');
    expect(req!.headers['content-type']).toBe('application/json');
    const headers = {
      'webhook-id': String(req!.headers['webhook-id']),
      'webhook-timestamp': String(req!.headers['webhook-timestamp']),
      'webhook-signature': String(req!.headers['webhook-signature']),
    };
    const payload = new Webhook(t.secret!).verify(req!.body, headers) as {
      type: string;
      data: Payload;
    };
    expect(payload.type).toBe('download.completed');
    expect(payload.data.count).toBe(1);
    expect(payload.data.title).toBe('Downloaded: Artist 1 – Title 1');
    expect(payload.data.items[0]?.libraryPath).toBe('/library/Artist 1/Title 1.flac');
    expect(headers['webhook-id']).toBe(payload.data.id);
    // A wrong secret does not verify: the check above could fail.
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(req!.body, headers),
    ).toThrow();
    await waitUntil(async () => (await deliveries(t.id)).length === 1, { what: 'the record' });
    const [d] = await deliveries(t.id);
    expect(d).toMatchObject({
      outcome: 'delivered',
      statusCode: 200,
      error: null,
      count: 1,
      attempt: 1,
    });
    expect(d!.messageId).toBe(headers['webhook-id']);
  });

  it('sends Discord, Slack, ntfy and Gotify requests in their formats', async () => {
    const discord = await create({
      type: 'discord',
      url: `${receiver.url}/api/webhooks/1/tok-discord`,
    });
    const slack = await create({ type: 'slack', url: `${receiver.url}/services/T/B/tok-slack` });
    const ntfy = await create({
      type: 'ntfy',
      url: `${receiver.url}/`,
      topic: 'music',
      token: 'tk_ntfy_secret',
      clickUrl: 'https://soulspot.example/queue',
    });
    const gotify = await create({ type: 'gotify', url: receiver.url, token: 'gotify-app-token' });
    await n.append([{ ...completed(2, 'failed') }]);
    const all = await received(4);
    const by = (path: string) => all.find((r) => r.url.startsWith(path))!;

    const d = by('/api/webhooks/1/tok-discord');
    expect(d.headers['content-type']).toBe('application/json');
    expect(JSON.parse(d.body)).toEqual({
      username: 'SoulSpot',
      embeds: [
        {
          title: 'Download failed: Artist 2 – Title 2: no_results',
          description: 'Artist 2 – Title 2: no_results',
          color: 0xe74c3c,
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          footer: { text: 'download.failed' },
        },
      ],
    });

    const s = by('/services/T/B/tok-slack');
    expect(JSON.parse(s.body)).toEqual({
      text: '*Download failed: Artist 2 – Title 2: no_results*\nArtist 2 – Title 2: no_results',
    });

    const f = by('/music');
    expect(f.method).toBe('POST');
    expect(f.body).toBe('Artist 2 – Title 2: no_results');
    // Non-ASCII titles go as RFC 2047 encoded words, which ntfy decodes.
    expect(f.headers['x-title']).toBe(
      `=?UTF-8?B?${Buffer.from('Download failed: Artist 2 – Title 2: no_results').toString('base64')}?=`,
    );
    expect(f.headers['x-priority']).toBe('3');
    expect(f.headers['x-tags']).toBe('x');
    expect(f.headers['x-click']).toBe('https://soulspot.example/queue');
    expect(f.headers.authorization).toBe('Bearer tk_ntfy_secret');

    const g = by('/message');
    expect(g.url).toBe('/message?token=gotify-app-token');
    expect(JSON.parse(g.body)).toEqual({
      title: 'Download failed: Artist 2 – Title 2: no_results',
      message: 'Artist 2 – Title 2: no_results',
      priority: 6,
    });
    for (const t of [discord, slack, ntfy, gotify])
      await waitUntil(async () => (await deliveries(t.id))[0]?.outcome === 'delivered', {
        what: 'each delivery recorded',
      });
  });

  it('groups a burst: 500 completions in one transaction and 20 more soon after are one message', async () => {
    // A window no loaded machine outlasts; the test then makes the message due itself (a shorter
    // window made the test a race between 21 commits and the clock, lost under load).
    n.settings.notificationGroupSeconds = 600;
    const t = await create({ type: 'webhook', url: receiver.url, events: ['download.completed'] });
    await n.append(Array.from({ length: 500 }, (_, i) => completed(i)));
    for (let i = 500; i < 520; i++) await n.append([completed(i)]);
    await sleep(200);
    expect(receiver.requests).toHaveLength(0);
    await db.db
      .updateTable('jobs')
      .set({ run_after: Date.now() })
      .where('task', '=', 'notify.deliver')
      .execute();
    n.notifications.runner.wake();
    const [req] = await received(1);
    await sleep(500);
    expect(receiver.requests).toHaveLength(1);
    const body = JSON.parse(req!.body) as { data: Payload };
    expect(body.data.count).toBe(520);
    expect(body.data.title).toBe('520 downloads completed');
    expect(body.data.message).toBe(
      [0, 1, 2, 3, 4].map((i) => `Artist ${i} – Title ${i}`).join('\n') + '\n…and 515 more',
    );
    expect(body.data.items).toHaveLength(100);
    expect(body.data.truncated).toBe(true);
    await waitUntil(async () => (await deliveries(t.id))[0]?.count === 520, { what: 'the record' });
  });

  it('keeps a message through an outage (503s) and delivers it once, with every attempt recorded', async () => {
    receiver.setRespond((_req, i) => (i < 3 ? 503 : 200));
    const t = await create({ type: 'webhook', url: receiver.url });
    await n.append([completed(7)]);
    await received(4);
    await waitUntil(async () => (await deliveries(t.id)).length === 4, { what: '4 attempts' });
    await sleep(300);
    expect(receiver.requests).toHaveLength(4);
    const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1); // the same message id on every attempt
    // Every attempt is signed over its own timestamp, and verifies on its own.
    for (const r of receiver.requests)
      new Webhook(t.secret!).verify(r.body, {
        'webhook-id': String(r.headers['webhook-id']),
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature']),
      });
    expect(new Set(receiver.requests.map((r) => JSON.parse(r.body).timestamp)).size).toBe(1);
    const records = (await deliveries(t.id)).reverse();
    expect(records.map((d) => [d.attempt, d.outcome, d.statusCode])).toEqual([
      [1, 'failed', 503],
      [2, 'failed', 503],
      [3, 'failed', 503],
      [4, 'delivered', 200],
    ]);
    expect(records[0]!.error).toBe('HTTP 503');
  });

  it('gives up after the last attempt: the job is dead and its error visible', async () => {
    receiver.setRespond(() => ({ status: 500, body: 'boom' }));
    const t = await create({ type: 'webhook', url: receiver.url });
    await n.append([completed(8)]);
    await waitUntil(async () => (await deliveries(t.id))[0]?.outcome === 'dead', {
      what: 'the last attempt',
    });
    const records = await deliveries(t.id);
    expect(records).toHaveLength(16);
    expect(records[0]).toMatchObject({
      attempt: 16,
      outcome: 'dead',
      statusCode: 500,
      error: 'HTTP 500: boom',
    });
    const jobs = await n.notifications.jobs.counts();
    expect(jobs.filter((j) => j.task === 'notify.deliver')).toEqual([
      { task: 'notify.deliver', state: 'dead', count: 1 },
    ]);
    await sleep(200);
    expect(receiver.requests).toHaveLength(16);
  });

  it('refuses private targets at create time and at delivery, and never follows a redirect there', async () => {
    for (const url of [
      canary.url,
      `http://localhost:${canary.port}`,
      'http://10.0.0.1/',
      'http://[::1]/',
      'http://169.254.169.254/',
    ]) {
      const res = await n.call('POST', '/api/notifications', {
        name: 'x',
        type: 'webhook',
        url,
        events: ['download.completed'],
      });
      expect(res.status, url).toBe(400);
      expect((res.body as { message: string }).message).toMatch(
        /^body\/url: .*allowedPrivateTargets/,
      );
    }
    // A target stored before the setting changed (here: written directly) is refused at delivery.
    const repo = createNotificationsRepository(db.db);
    await db.writeTx((tx) =>
      repo.insertTarget(
        tx,
        {
          id: '11111111-1111-4111-8111-111111111111',
          name: 'canary',
          type: 'slack',
          url: canary.url,
          secret: null,
          token: null,
          topic: null,
          clickUrl: null,
          events: ['download.completed'],
          enabled: true,
          disabledReason: null,
          backoffUntil: null,
        },
        Date.now(),
      ),
    );
    // The allowed receiver redirects a POST (307 keeps it a POST) to the canary: refused too.
    receiver.setRespond(() => ({ status: 307, headers: { location: `${canary.url}/stolen` } }));
    const t = await create({ type: 'webhook', url: receiver.url });
    await n.append([completed(9)]);
    await waitUntil(
      async () =>
        (await deliveries(t.id)).length > 0 &&
        (await deliveries('11111111-1111-4111-8111-111111111111')).length > 0,
      { what: 'both attempts recorded' },
    );
    const [direct] = await deliveries('11111111-1111-4111-8111-111111111111');
    expect(direct!.error).toMatch(
      /127\.0\.0\.1 is a loopback address: refused .*allowedPrivateTargets/,
    );
    const [redirected] = await deliveries(t.id);
    expect(redirected!.error).toMatch(/refused/);
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(canary.requests).toHaveLength(0);
  });

  it('a 302 to a POST is not followed (it would become a GET without the message)', async () => {
    n.settings.allowedPrivateTargets = [`127.0.0.1:${receiver.port}`, `127.0.0.1:${canary.port}`];
    receiver.setRespond(() => ({ status: 302, headers: { location: `${canary.url}/` } }));
    const t = await create({ type: 'webhook', url: receiver.url });
    await n.append([completed(10)]);
    await waitUntil(async () => (await deliveries(t.id)).length > 0, { what: 'an attempt' });
    expect((await deliveries(t.id))[0]).toMatchObject({ outcome: 'failed', statusCode: 302 });
    expect(canary.requests).toHaveLength(0);
  });

  it('a redirect to another origin does not carry the ntfy access token along', async () => {
    n.settings.allowedPrivateTargets = [`127.0.0.1:${receiver.port}`, `127.0.0.1:${canary.port}`];
    receiver.setRespond(() => ({ status: 307, headers: { location: `${canary.url}/moved` } }));
    const t = await create({ type: 'ntfy', url: receiver.url, topic: 'music', token: 'tk_ntfy' });
    await n.append([completed(20)]);
    const [moved] = await received(1, canary);
    expect(receiver.requests[0]!.headers.authorization).toBe('Bearer tk_ntfy');
    expect(moved!.url).toBe('/moved');
    expect(moved!.body).toBe('Artist 20 – Title 20');
    expect(moved!.headers.authorization).toBeUndefined();
    await waitUntil(async () => (await deliveries(t.id))[0]?.outcome === 'delivered', {
      what: 'the delivery recorded',
    });
  });

  it("records a receiver's error whose text a database would refuse (NUL), and retries by the schedule", async () => {
    receiver.setRespond((_r, i) => (i === 0 ? { status: 500, body: 'bad\u0000body' } : 200));
    const t = await create({ type: 'webhook', url: receiver.url });
    await n.append([completed(21)]);
    await waitUntil(async () => (await deliveries(t.id)).length === 2, { what: 'two attempts' });
    const [second, first] = await deliveries(t.id);
    expect(first).toMatchObject({
      outcome: 'failed',
      statusCode: 500,
      error: 'HTTP 500: bad body',
    });
    expect(second).toMatchObject({ outcome: 'delivered', attempt: 2 });
  });

  it('refuses a token or topic that cannot travel in a header or a topic path (400 naming it)', async () => {
    for (const [body, field] of [
      [{ type: 'ntfy', topic: 'music', token: 'tk\r\nX-Evil: 1' }, /^body\/token/],
      [{ type: 'ntfy', topic: 'music', token: 'tök' }, /^body\/token/],
      [{ type: 'gotify', token: 'two words' }, /^body\/token/],
      [{ type: 'ntfy', topic: 'a/b' }, /^body\/topic/],
      [{ type: 'ntfy', topic: 'mü' }, /^body\/topic/],
    ] as const) {
      const res = await n.call('POST', '/api/notifications', {
        name: 'x',
        url: receiver.url,
        events: ['download.completed'],
        ...body,
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.body as { message: string }).message).toMatch(field);
    }
  });

  it('PATCH keeps what it is not given: the secret, and a credential URL sent back masked', async () => {
    const hook = await create({ type: 'webhook', url: `${receiver.url}/hook` });
    const discord = await create({ type: 'discord', url: `${receiver.url}/api/webhooks/5/tok-d` });
    expect(
      (await n.call('PATCH', `/api/notifications/${hook.id}`, { name: 'renamed' })).status,
    ).toBe(200);
    // A client that sends back the target as listed (its URL masked) changes only the name.
    const listed = (await n.call<{ url: string }>('GET', `/api/notifications/${discord.id}`)).body;
    expect(listed.url).toBe(`${receiver.url}/api/[redacted]`);
    const patched = await n.call('PATCH', `/api/notifications/${discord.id}`, {
      name: 'renamed too',
      url: listed.url,
    });
    expect(patched.status, patched.text).toBe(200);
    await n.append([completed(22)]);
    const all = await received(2);
    const h = all.find((r) => r.url === '/hook')!;
    new Webhook(hook.secret!).verify(h.body, {
      'webhook-id': String(h.headers['webhook-id']),
      'webhook-timestamp': String(h.headers['webhook-timestamp']),
      'webhook-signature': String(h.headers['webhook-signature']),
    });
    expect(all.map((r) => r.url).sort()).toEqual(['/api/webhooks/5/tok-d', '/hook']);
  });

  it('PATCH moving a target with a token to another origin needs the token again (no exfiltration)', async () => {
    // Write-only tokens stay write-only only if a new URL cannot borrow them: otherwise anyone
    // with the API key points the target at a server of theirs, presses Test, and reads the
    // Gotify token in the URL (the ntfy one in Authorization) there.
    n.settings.allowedPrivateTargets = [`127.0.0.1:${receiver.port}`, `127.0.0.1:${canary.port}`];
    const token = 'gotify-token-stays-home';
    const gotify = await create({ type: 'gotify', url: receiver.url, token });
    const ntfy = await create({ type: 'ntfy', url: receiver.url, topic: 'music', token });
    for (const t of [gotify, ntfy]) {
      const moved = await n.call('PATCH', `/api/notifications/${t.id}`, { url: canary.url });
      expect(moved.status, moved.text).toBe(400);
      expect((moved.body as { message: string }).message).toMatch(/^body\/token: /);
      expect((await n.call('POST', `/api/notifications/${t.id}/test`)).status).toBe(200);
    }
    expect(canary.requests).toHaveLength(0);
    expect(receiver.requests).toHaveLength(2);
    // Another path on the same server keeps the token; a new server with its token given is fine.
    const samePlace = await n.call('PATCH', `/api/notifications/${gotify.id}`, {
      url: `${receiver.url}/gotify`,
    });
    expect(samePlace.status, samePlace.text).toBe(200);
    const withToken = await n.call('PATCH', `/api/notifications/${ntfy.id}`, {
      url: canary.url,
      token: 'canary-own-token',
    });
    expect(withToken.status, withToken.text).toBe(200);
    const cleared = await n.call('PATCH', `/api/notifications/${ntfy.id}`, {
      url: receiver.url,
      token: null,
    });
    expect(cleared.status, cleared.text).toBe(200);
    for (const r of [...receiver.requests, ...canary.requests])
      expect(JSON.stringify(r)).not.toContain('canary-own-token');
  });

  it('PATCH moving a webhook to another origin needs its secret again, or a new one', async () => {
    n.settings.allowedPrivateTargets = [`127.0.0.1:${receiver.port}`, `127.0.0.1:${canary.port}`];
    const hook = await create({ type: 'webhook', url: receiver.url });
    const moved = await n.call('PATCH', `/api/notifications/${hook.id}`, { url: canary.url });
    expect(moved.status, moved.text).toBe(400);
    expect((moved.body as { message: string }).message).toMatch(/^body\/secret: /);
    expect((await n.call('POST', `/api/notifications/${hook.id}/test`)).status).toBe(200);
    expect(canary.requests).toHaveLength(0);
    // A new secret (null) goes with the move; the canary gets messages signed with that one only.
    const renewed = await n.call('PATCH', `/api/notifications/${hook.id}`, {
      url: canary.url,
      secret: null,
    });
    expect(renewed.status, renewed.text).toBe(200);
    expect((renewed.body as { secret?: string }).secret).toMatch(/^whsec_/);
    const samePlace = await n.call('PATCH', `/api/notifications/${hook.id}`, {
      url: `${canary.url}/hook`,
    });
    expect(samePlace.status, samePlace.text).toBe(200);
  });

  it('an event whose transaction rolls back leaves no message behind', async () => {
    const t = await create({ type: 'webhook', url: receiver.url });
    await expect(
      db.writeTx(async (tx) => {
        await n.events.appendMany(tx, [completed(23)]);
        throw new Error('the change fails after its event was appended');
      }),
    ).rejects.toThrow('the change fails');
    await n.append([completed(24)]);
    const [req] = await received(1);
    await sleep(300);
    expect(receiver.requests).toHaveLength(1);
    expect((JSON.parse(req!.body) as { data: Payload }).data.title).toBe(
      'Downloaded: Artist 24 – Title 24',
    );
    await waitUntil(async () => (await deliveries(t.id)).length === 1, { what: 'the record' });
    // Nothing of the rolled-back event waits anywhere (the idle check its sibling armed ends too).
    await waitUntil(async () => (await n.notifications.jobs.counts()).length === 0, {
      what: 'no job left',
    });
  });

  it('never returns nor logs secrets and tokens', async () => {
    const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    const token = 'gotify-token-never-shown';
    const hook = await create({ type: 'webhook', url: receiver.url, secret });
    expect(hook.secret).toBeUndefined(); // given, so not echoed
    expect(hook.hasSecret).toBe(true);
    // The receiver echoes the URL it was called on, and a closed port makes a network error
    // that quotes the URL: both carry the Gotify token unless it is scrubbed.
    receiver.setRespond((req) => ({ status: 401, body: `no such token in ${req.url}` }));
    const gotify = await create({ type: 'gotify', url: receiver.url, token });
    const closed = await freePort();
    n.settings.allowedPrivateTargets.push(`127.0.0.1:${closed}`);
    const dead = await create({ type: 'gotify', url: `http://127.0.0.1:${closed}`, token });
    const discord = await create({
      type: 'discord',
      url: `${receiver.url}/api/webhooks/9/discord-url-token`,
    });
    await n.append([completed(11)]);
    await waitUntil(
      async () =>
        (await deliveries(gotify.id)).length >= 2 && (await deliveries(dead.id)).length >= 2,
      { what: 'failed attempts' },
    );
    const texts = [
      (await n.call('GET', '/api/notifications')).text,
      (await n.call('GET', `/api/notifications/${hook.id}`)).text,
      (await n.call('GET', `/api/notifications/${gotify.id}/deliveries`)).text,
      (await n.call('GET', `/api/notifications/${dead.id}/deliveries`)).text,
      (await n.call('PATCH', `/api/notifications/${gotify.id}`, { name: 'renamed' })).text,
      JSON.stringify(n.warnings),
    ];
    for (const text of texts) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(secret);
      expect(text).not.toContain('discord-url-token');
    }
    expect(texts[2]).toContain('[redacted]');
    const listed = (await n.call<{ items: Record<string, unknown>[] }>('GET', '/api/notifications'))
      .body.items;
    expect(listed.find((t) => t.id === discord.id)?.url).toBe(`${receiver.url}/api/[redacted]`);
    // Rotation: a webhook's secret set to null is replaced and shown once.
    const rotated = await n.call<{ secret: string }>('PATCH', `/api/notifications/${hook.id}`, {
      secret: null,
    });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(secret);
  });

  it('validates targets with a 400 naming the field; test action and delete', async () => {
    const bad = async (body: Record<string, unknown>, field: RegExp) => {
      const res = await n.call('POST', '/api/notifications', {
        name: 'x',
        type: 'webhook',
        url: receiver.url,
        events: ['download.completed'],
        ...body,
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.body as { message: string }).message).toMatch(field);
    };
    await bad({ type: 'ntfy' }, /^body\/topic: required for ntfy/);
    await bad({ type: 'gotify' }, /^body\/token: required for gotify/);
    await bad({ secret: 'not-a-secret' }, /^body\/secret/);
    await bad(
      { type: 'slack', secret: `whsec_${Buffer.alloc(32).toString('base64')}` },
      /^body\/secret/,
    );
    await bad({ events: ['download.exploded'] }, /^body\/events/);
    await bad({ events: [] }, /^body\/events/);
    await bad({ url: 'ftp://example.com/' }, /^body\/url/);
    await bad({ url: `http://user:pw@127.0.0.1:${receiver.port}/` }, /^body\/url/);
    await bad({ colour: 'red' }, /colour/);

    const t = await create({ type: 'webhook', url: receiver.url });
    const tested = await n.call<{ ok: boolean; statusCode: number }>(
      'POST',
      `/api/notifications/${t.id}/test`,
    );
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: true, statusCode: 200 });
    expect(JSON.parse(receiver.requests[0]!.body).data.title).toBe('SoulSpot test notification');
    expect((await deliveries(t.id))[0]).toMatchObject({ outcome: 'test', statusCode: 200 });
    expect((await n.call('DELETE', `/api/notifications/${t.id}`)).status).toBe(204);
    expect((await n.call('GET', `/api/notifications/${t.id}`)).status).toBe(404);
    expect((await n.call('POST', `/api/notifications/${t.id}/test`)).status).toBe(404);
  });

  it('shows toasts over the event log, and announces queue.idle when the last download ends', async () => {
    n.settings.toastEvents = ['download.completed', 'queue.idle'];
    const t = await create({ type: 'slack', url: `${receiver.url}/idle`, events: ['queue.idle'] });
    const from = n.events.position;
    await n.append([completed(12), completed(13)]);
    const toasts = await waitUntil(
      async () => {
        const got = (await n.events.read(from)).filter((e) => e.type === 'notification');
        return got.length >= 2 && got;
      },
      { what: 'the toasts', timeoutMs: 20_000 },
    );
    const payloads = toasts.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(payloads).toContainEqual(
      expect.objectContaining({
        event: 'download.completed',
        title: '2 downloads completed',
        count: 2,
      }),
    );
    expect(payloads).toContainEqual(expect.objectContaining({ event: 'queue.idle', count: 1 }));
    const [idle] = await received(1);
    expect(JSON.parse(idle!.body).text).toContain('Queue idle');
    await waitUntil(async () => (await deliveries(t.id)).length === 1, { what: 'the record' });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startEmulatorIn } from '../helpers/stack.js';
import { sleep, waitUntil } from '../helpers/wait.js';

/**
 * The outbox across kill -9 of a real SoulSpot process: the receiver holds the first delivery
 * open, the process is killed while it waits for the answer (no 2xx was given), and the restarted
 * process delivers it. Then a second kill after every message was answered must send nothing
 * again. The receiver counts the 2xx it gave per webhook-id: exactly one each.
 */
describe('notification outbox across kill -9', () => {
  let emulator: Emulator | undefined;
  let receiver: Receiver | undefined;
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-notify-crash-'));
  afterAll(async () => {
    await emulator?.close();
    await receiver?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it(
    'delivers every message, each answered 2xx exactly once',
    { timeout: 5 * 60_000 },
    async () => {
      receiver = await startReceiver((_req, i) => (i === 0 ? 'hold' : 200));
      emulator = await startEmulatorIn(root, []);
      const { url, env, api } = await childSetup(root, emulator.url, {
        SOULSPOT_ALLOWED_PRIVATE_TARGETS: `127.0.0.1:${receiver.port}`,
        SOULSPOT_NOTIFICATION_GROUP_SECONDS: '0',
      });
      let child = spawnSoulSpot(env);
      await waitForHealth(url, undefined, child);
      const target = await api<{ id: string }>('POST', '/api/notifications', {
        name: 'hook',
        type: 'webhook',
        url: `${receiver.url}/hook`,
        events: ['batch.completed'],
      });
      expect(target.status).toBe(201);
      const created = await api<{ id: string }>('POST', '/api/downloads', {
        artist: 'Nobody',
        title: 'Nothing',
      });
      expect(created.status).toBe(201);
      const batch = (action: string) =>
        api('POST', '/api/downloads/batch', { ids: [created.body.id], action });

      // First message: held by the receiver; SoulSpot is killed while it waits for the answer.
      expect((await batch('pause')).status).toBe(200);
      await waitUntil(() => receiver!.requests.length === 1, { what: 'the first delivery' });
      await killHard(child);
      expect(receiver.requests[0]!.answered).toBeNull();

      child = spawnSoulSpot(env);
      await waitForHealth(url, undefined, child);
      expect((await batch('resume')).status).toBe(200);
      expect((await batch('cancel')).status).toBe(200);

      const answeredCount = (): number =>
        receiver!.requests
          .filter((r) => r.answered === 200)
          .reduce((n, r) => n + (JSON.parse(r.body) as { data: { count: number } }).data.count, 0);
      await waitUntil(() => answeredCount() === 3, {
        what: 'all three batch messages answered',
        timeoutMs: 120_000,
      });

      // Everything is answered and recorded (a kill between the receiver's 2xx and SoulSpot's
      // commit would have it sent again: that window is why the id is stable). Now another kill -9
      // and restart must send nothing again.
      const recorded = async (): Promise<number> =>
        (
          await api<{ items: { outcome: string; count: number }[] }>(
            'GET',
            `/api/notifications/${target.body.id}/deliveries`,
          )
        ).body.items
          .filter((d) => d.outcome === 'delivered')
          .reduce((n, d) => n + d.count, 0);
      await waitUntil(async () => (await recorded()) === 3, { what: 'the deliveries recorded' });
      await killHard(child);
      child = spawnSoulSpot(env);
      await waitForHealth(url, undefined, child);
      // Longer than the lease (3 s): a delivery left claimable would have gone by now.
      await sleep(4000);
      const deliveries = await api<{ items: { outcome: string; messageId: string }[] }>(
        'GET',
        `/api/notifications/${target.body.id}/deliveries`,
      );
      await killHard(child);

      const twoXx = new Map<string, number>();
      for (const r of receiver.requests) {
        const id = String(r.headers['webhook-id']);
        if (r.answered === 200) twoXx.set(id, (twoXx.get(id) ?? 0) + 1);
      }
      const log = receiver.requests.map((r) => `${String(r.headers['webhook-id'])} ${r.answered}`);
      expect(
        [...twoXx.values()].every((n) => n === 1),
        log.join('\n'),
      ).toBe(true);
      // The held message was sent again under the same id, and answered then.
      const heldId = String(receiver.requests[0]!.headers['webhook-id']);
      expect(twoXx.get(heldId)).toBe(1);
      expect(answeredCount()).toBe(3);
      const delivered = deliveries.body.items.filter((d) => d.outcome === 'delivered');
      expect(delivered.map((d) => d.messageId).sort()).toEqual([...twoXx.keys()].sort());
    },
  );
});

import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator, SimUser } from '../../emulator/emulator.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { filesUnder, sha } from '../helpers/files.js';
import { watchLeases, type LeaseWatch } from '../helpers/lease-watch.js';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { openSse, type SseReader } from '../helpers/sse.js';
import { listAll, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil, waitWithProgress } from '../helpers/wait.js';

const onPostgres = testDialects().includes('postgres');
/** The two FLAC fixtures shipped with the repo: no ffmpeg run for 300 tracks. */
const FLACS = ['tone-a.flac', 'tone-b.flac'].map((f) =>
  path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'audio', f),
);

const TRACKS = 300;
const PEERS = 5;
/** The global settings, PATCHed once through one process; every process starts with others. */
const MAX_CONCURRENT = 8;
const MAX_PER_USER = 2;
const LEASE_SECONDS = 3;
/** Small files at 100 kB/s: each transfer moves for a quarter of a second, so many overlap. */
const UPLOAD_SPEED = 100_000;

type Api = Awaited<ReturnType<typeof childSetup>>['api'];
interface Proc {
  name: string;
  url: string;
  api: Api;
  child: ChildProcess;
  owner: string;
  sse: SseReader;
}

/**
 * Issue 7's "3 processes on PostgreSQL with 300 downloads": real SoulSpot processes sharing one
 * database and one slskd (the emulator, which records the most transfers at once, across every
 * client). One process is killed with SIGKILL mid-run; the others must take its downloads over
 * within two lease periods and finish everything, each download enqueued and filed exactly once,
 * the global and per-user limits never exceeded, and every process's SSE clients told of every
 * download, whichever process worked on it.
 *
 * Tracks go to peers round-robin, so the next downloads in queue order keep asking the same five
 * peers: with 8 slots and 2 per peer the per-user limit is met again and again.
 */
describe.runIf(onPostgres)('three SoulSpot processes on one PostgreSQL', () => {
  const procs: Proc[] = [];
  let emulator: Emulator | undefined;
  let leases: LeaseWatch | undefined;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let root: string | undefined;
  afterAll(async () => {
    for (const p of procs) p.sse.close();
    await Promise.all(procs.map((p) => killHard(p.child)));
    await leases?.stop();
    await emulator?.close();
    await db?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  // The waits inside follow progress; this outer limit only stops a test that hangs outright.
  it(
    'lose nothing, dispatch nothing twice, hold the limits, take over a killed one within two leases',
    { timeout: 15 * 60_000 },
    async () => {
      root = mkdtempSync(path.join(tmpdir(), 'soulspot-scale-'));
      const t0 = Date.now();
      const phases: string[] = [];
      const phase = (what: string) =>
        phases.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const users: SimUser[] = Array.from({ length: PEERS }, (_, p) => ({
        username: `peer${p}`,
        files: [],
        behaviour: { uploadSpeed: UPLOAD_SPEED },
      }));
      const tracks = Array.from({ length: TRACKS }, (_, i) => {
        const artist = `Artist${String.fromCharCode(65 + (i % 26))}${Math.floor(i / 26)}`;
        const title = `Song${i}x`;
        const localPath = FLACS[i % 2] as string;
        users[i % PEERS]!.files.push({
          remotePath: `@@p${i % PEERS}\\Music\\${artist}\\Album\\01 - ${title}.flac`,
          localPath,
        });
        return { request: { artist, title }, localPath };
      });
      emulator = await startEmulatorIn(root, users, undefined, { maxConcurrentSearches: 10 });
      db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);

      for (const [i, name] of ['a', 'b', 'c'].entries()) {
        const setup = await childSetup(root, emulator.url, {
          SOULSPOT_DATA_DIR: path.join(root, `data-${name}`),
          SOULSPOT_DATABASE_URL: db.url,
          SOULSPOT_LEASE_SECONDS: String(LEASE_SECONDS),
          // Deliberately not the values under test: those come from the one PATCH below.
          SOULSPOT_MAX_CONCURRENT: String(i + 2),
          SOULSPOT_MAX_CONCURRENT_PER_USER: '1',
          SOULSPOT_LOG_LEVEL: 'warn',
        });
        const log = createWriteStream(path.join(root, `log-${name}.jsonl`));
        const child = spawnSoulSpot(setup.env, log);
        procs.push({ name, ...setup, child, owner: '', sse: undefined as unknown as SseReader });
      }
      await Promise.all(procs.map((p) => waitForHealth(p.url, undefined, p.child)));
      for (const p of procs) {
        p.owner = readFileSync(path.join(root, `data-${p.name}`, 'instance-id'), 'utf8').trim();
        p.sse = await openSse(p.url);
      }
      const [a, b, c] = procs as [Proc, Proc, Proc];
      phase('started');
      leases = await watchLeases(db.url);

      // The limits are database settings: set once, through one process, in force in all.
      const patched = await a.api('PATCH', '/api/settings', {
        maxConcurrent: MAX_CONCURRENT,
        maxConcurrentPerUser: MAX_PER_USER,
      });
      expect(patched.status).toBe(200);
      for (const p of procs) {
        await waitUntil(
          async () => {
            const q = await p.api<{
              slots: { maxConcurrent: number; maxConcurrentPerUser: number };
            }>('GET', '/api/queue');
            return (
              q.body.slots.maxConcurrent === MAX_CONCURRENT &&
              q.body.slots.maxConcurrentPerUser === MAX_PER_USER
            );
          },
          { what: `process ${p.name} to apply the PATCHed limits`, timeoutMs: 10_000 },
        );
      }

      // Accepted through all three APIs at once, a bulk request each (tracks spread round-robin);
      // then the last 30 (still waiting behind 270 others) again through c, which must answer
      // with the same downloads, two thirds of them created by a and b: dedupe holds across
      // processes.
      type Bulk = { items: { index: number; result: string; id: string }[] };
      const ids: string[] = new Array<string>(TRACKS);
      await Promise.all(
        procs.map(async (p, lane) => {
          const mine = tracks.map((_, i) => i).filter((i) => i % procs.length === lane);
          const res = await p.api<Bulk>('POST', '/api/downloads/bulk', {
            items: mine.map((i) => tracks[i]!.request),
          });
          expect(res.status).toBe(200);
          for (const item of res.body.items) {
            expect(item.result).toBe('created');
            ids[mine[item.index]!] = item.id;
          }
        }),
      );
      const again = await c.api<Bulk>('POST', '/api/downloads/bulk', {
        items: tracks.slice(TRACKS - 30).map((t) => t.request),
      });
      expect(again.body.items.map((x) => [x.result, x.id])).toEqual(
        ids.slice(TRACKS - 30).map((id) => ['existing', id]),
      );
      phase('accepted');
      // Mid-run, while the victim holds work: SIGKILL, so it releases nothing.
      const victim = b;
      await waitUntil(
        async () => {
          const counts = await a.api<{ byStatus: Record<string, number> }>('GET', '/api/queue');
          const held = await leases!.heldBy(victim.owner);
          return (counts.body.byStatus.completed ?? 0) >= TRACKS / 4 && held.length >= 2;
        },
        { what: 'a quarter done and the victim holding at least 2 downloads', timeoutMs: 300_000 },
      );
      await killHard(victim.child);
      const killedAt = Date.now();
      const orphaned = await leases.heldBy(victim.owner);
      const takeover = await leases.takenOver(orphaned, killedAt, {
        timeoutMs: 60_000,
      });
      const takeoverMs = Math.max(...takeover.values());
      phase('killed');

      const survivors = [a, c];
      const items = await waitWithProgress({
        read: () => listAll(a.api as Parameters<typeof listAll>[0]),
        done: (all) => all.every((d) => d.status === 'completed' || d.status === 'failed'),
        progress: (all) => all.map((d) => `${d.status}:${d.bytesTransferred}`).join(','),
        stallMs: 120_000,
        what: 'every download to finish',
        describe: (all) =>
          all
            .filter((d) => d.status !== 'completed')
            .map((d) => `${d.title}: ${d.status} ${d.errorMessage ?? ''}`)
            .join('\n'),
      });

      phase('finished');
      // 0 lost: exactly the accepted downloads, all completed, each with one attempt.
      expect(items.map((d) => d.id).sort()).toEqual([...ids].sort());
      expect(items.filter((d) => d.status !== 'completed').map((d) => d.title)).toEqual([]);
      expect(items.filter((d) => d.attempts.length !== 1).map((d) => d.title)).toEqual([]);
      // 0 double dispatch: one enqueue per download at slskd, nothing injected would justify more.
      const pairs = emulator.enqueues.map((e) => `${e.username}|${e.filename}`);
      expect(new Set(pairs).size).toBe(TRACKS);
      expect(pairs).toHaveLength(TRACKS);
      // Each file filed exactly once, with its source's bytes (a kill mid-copy may leave a hidden
      // temporary file, which the sweep removes later; it is never under a final name).
      const library = filesUnder(path.join(root, 'library'));
      const placed = library.filter((f) => !path.basename(f).startsWith('.'));
      expect(placed).toHaveLength(TRACKS);
      for (const [i, t] of tracks.entries()) {
        const d = items.find((x) => x.id === ids[i])!;
        expect(placed).toContain(d.libraryPath);
        expect(sha(d.libraryPath!)).toBe(sha(t.localPath));
      }

      // The limits held at slskd across all processes, and were reached (the run tested them).
      // Moving transfers alone are also capped by peers × per peer (10 here), and a transfer lease
      // counts while its job searches too: so the live leases, sampled from outside, as well;
      // filing leases (their own slots) by the filing limit, the default 2 for all processes.
      const peaks = emulator.peaks;
      expect(peaks.moving).toBeLessThanOrEqual(MAX_CONCURRENT);
      expect(leases.mostLive).toBeLessThanOrEqual(MAX_CONCURRENT);
      expect(leases.mostFiling).toBeLessThanOrEqual(2);
      expect(leases.mostLive).toBeGreaterThan(MAX_PER_USER);
      const perUser = Math.max(...Object.values(peaks.activeByUser));
      expect(perUser).toBeLessThanOrEqual(MAX_PER_USER);
      expect(perUser).toBe(MAX_PER_USER);
      expect(peaks.moving).toBeGreaterThan(MAX_PER_USER);

      // Taken over within two lease periods.
      expect(orphaned.length).toBeGreaterThanOrEqual(2);
      expect(takeoverMs).toBeLessThanOrEqual(2 * LEASE_SECONDS * 1000);
      for (const o of orphaned) {
        const others = [...(leases.owners.get(o.id) ?? [])].filter((x) => x !== victim.owner);
        expect(others.length, `a survivor held ${o.id}`).toBeGreaterThan(0);
      }

      const workedBy = (p: Proc) =>
        new Set(ids.filter((id) => leases!.owners.get(id)?.has(p.owner)));
      console.log(
        `scale-out: ${TRACKS} downloads over 3 processes (${procs
          .map((p) => `${p.name} held ${workedBy(p).size}`)
          .join(', ')}); ${pairs.length} enqueues; peaks: ${peaks.moving} moving ` +
          `(limit ${MAX_CONCURRENT}), ${leases.mostLive} live leases at most, ` +
          `${perUser} per peer (limit ${MAX_PER_USER}); ` +
          `${orphaned.length} downloads of the killed process taken over in ${takeoverMs} ms ` +
          `(lease ${LEASE_SECONDS} s); ${phases.join(', ')}`,
      );

      // Every process's SSE client heard of downloads the other processes worked on: the
      // survivors of every completion, the victim's of those before the kill.
      for (const p of procs) expect(workedBy(p).size, `${p.name} worked`).toBeGreaterThan(10);
      const nameOf = (owner: string) => procs.find((p) => p.owner === owner)?.name ?? owner;
      const completedSeen = (p: Proc) =>
        new Set(
          p.sse.events
            .filter((e) => e.event === 'download.completed')
            .map((e) => (JSON.parse(e.data) as { id: string }).id),
        );
      /** What the log holds about a download: event id, type and status, in order. */
      const story = async (id: string) =>
        (
          await leases!.query<{ id: string; type: string; status: string | null }>(
            `SELECT id, type, payload::json->>'status' AS status FROM events
             WHERE payload LIKE $1 ORDER BY id`,
            [`%${id}%`],
          )
        )
          .map((r) => `${r.id}:${r.type.replace('download.', '')}:${r.status ?? ''}`)
          .join(' ');
      const lastId = Number(
        (await leases.query<{ n: string }>('SELECT max(id) AS n FROM events'))[0]?.n,
      );
      for (const p of survivors) {
        // Caught up with the log as it is now: every event written so far has reached it.
        await waitUntil(() => (p.sse.lastId ?? 0) >= lastId, {
          what: `${p.name}'s SSE client to reach event ${lastId} (at ${p.sse.lastId})`,
          timeoutMs: 30_000,
        });
        // Delivery: every row of the log since the client connected (without Last-Event-ID it
        // gets what is appended after) reached it.
        const received = new Set(p.sse.events.map((e) => e.id));
        const logged = await leases.query<{ id: string }>(
          'SELECT id FROM events WHERE id > $1 AND id <= $2 ORDER BY id',
          [(p.sse.events[0]?.id ?? 1) - 1, lastId],
        );
        const unsent = logged.map((r) => Number(r.id)).filter((id) => !received.has(id));
        expect(unsent, `logged events ${p.name}'s SSE client never got`).toEqual([]);
        // Content: the log announces every completion, the victim's too: a worker appends its
        // events in the transaction of the write itself, so no committed change lacks its event.
        const missing = ids.filter((id) => !completedSeen(p).has(id));
        const told = await Promise.all(
          missing.map(async (id) => {
            const held = [...(leases!.owners.get(id) ?? [])].map(nameOf).join('+');
            return `${id} (held by ${held || 'nobody seen'}): ${await story(id)}`;
          }),
        );
        expect(told, `completions ${p.name}'s SSE client never saw`).toEqual([]);
        const elsewhere = ids.filter((id) => !workedBy(p).has(id));
        expect(elsewhere.length, `downloads ${p.name} never held`).toBeGreaterThan(10);
      }
      const heardByVictim = [...completedSeen(victim)].filter((id) => !workedBy(victim).has(id));
      expect(heardByVictim.length).toBeGreaterThan(0);
    },
  );
});

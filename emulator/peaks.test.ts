// The peaks the emulator records: the most transfers at once, not how many there were in all.
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness, TransferJson } from './test-support.js';
import { A1, A2, alice, startHarness, waitFor } from './test-support.js';

let h: Harness;
afterEach(async () => h?.close());

const SIZES: Record<string, number> = { [A1]: 28949, [A2]: 22514 };

async function enqueue(filename: string): Promise<string> {
  const res = await h.api('POST', '/transfers/downloads/batches', {
    username: 'alice',
    files: [{ filename, size: SIZES[filename] }],
  });
  expect(res.status).toBe(201);
  return (res.json as { batch: { transfers: TransferJson[] } }).batch.transfers[0]?.id ?? '';
}

const succeeded = (ids: string[]) =>
  waitFor(async () => {
    for (const id of ids) {
      const t = (await h.api('GET', `/transfers/downloads/alice/${id}`)).json as TransferJson;
      if (t.state !== 'Completed, Succeeded') return false;
    }
    return true;
  }, 10_000);

const peaksOver = (moving: number, active: number) => ({
  moving,
  movingByUser: { alice: moving },
  activeByUser: { alice: active },
});

describe('transfer peaks', () => {
  it('counts transfers at the same time, waiting and moving apart, per peer and overall', async () => {
    h = await startHarness({ users: [alice({ behaviour: { stuckInQueue: true } })] });
    const first = [await enqueue(A1), await enqueue(A2)];
    // Both wait in alice's queue: unfinished, not moving.
    await waitFor(async () => (h.emulator.peaks.activeByUser.alice ?? 0) >= 2);
    expect(h.emulator.peaks).toEqual(peaksOver(0, 2));

    // Released together and slow (about half a second each): both move at once.
    h.emulator.setBehaviour('alice', { stuckInQueue: false, uploadSpeed: 50_000 });
    await succeeded(first);
    expect(h.emulator.peaks).toEqual(peaksOver(2, 2));

    // A third transfer, alone: the peaks are the most at once, not a running total.
    await succeeded([await enqueue(A1)]);
    const state = (await (await fetch(`${h.emulator.url}/emulator/state`)).json()) as {
      peaks: unknown;
    };
    expect(state.peaks).toEqual(peaksOver(2, 2));
  });
});

import { describe, expect, it } from 'vitest';
import type { LiveProviderSet, MemberSpec } from '../providers/live-provider-set.js';
import { createLiveSources } from './sources.live.js';
import type { ProviderConfigRow, SourcesRepository } from './sources.repository.js';

const row = (id: string): ProviderConfigRow => ({
  id,
  role: 'client',
  type: 'qbittorrent',
  settings: JSON.stringify({ url: 'https://qbt.example', username: 'u', password: '' }),
  enabled: 1,
  position: 0,
  updated_at: 1,
});

const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

describe('live sources', () => {
  it('a read that started before a write never applies over the one made after it', async () => {
    let table: ProviderConfigRow[] = [];
    // The first read (the poll's) is slow: it answers the table as it was when it started.
    let slow: (() => void) | null = null;
    let reads = 0;
    const repo = {
      list: () => {
        const snapshot = table;
        if (reads++ > 0) return Promise.resolve(snapshot);
        return new Promise<ProviderConfigRow[]>((resolve) => (slow = () => resolve(snapshot)));
      },
    } as unknown as SourcesRepository;
    const applied: string[][] = [];
    const live = {
      apply: (specs: readonly MemberSpec[]) => applied.push(specs.map((s) => s.key.split(':')[1]!)),
    } as unknown as LiveProviderSet;
    const sources = createLiveSources({
      repo,
      live,
      fixed: [],
      secret: () => undefined,
      log: quiet as never,
    });

    const poll = sources.refresh(); // reads the empty table, slowly
    table = [row('a')]; // a create writes its row, then applies (sources.service.ts `applied`)
    const afterWrite = sources.refresh();
    await new Promise((r) => setTimeout(r, 10));
    slow!();
    await Promise.all([poll, afterWrite]);
    // What the set is now is the table after the write.
    expect(applied.at(-1)).toEqual(['a']);
  });
});

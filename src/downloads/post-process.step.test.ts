import { describe, expect, it } from 'vitest';
import { workFileName } from './post-process.step.js';

describe('working copy name', () => {
  const id = '0a1b2c3d-0000-4000-8000-000000000001';

  it('is hidden, keeps the extension and names the attempt', () => {
    expect(workFileName('03 - Army.flac', id)).toBe('.03 - Army.soulspot-work-0a1b2c3d.flac');
  });

  it('stays well under 255 bytes for long multi-byte names, with room for a temp suffix', () => {
    for (const name of [
      `${'語'.repeat(120)}.flac`,
      `${'😀'.repeat(100)}.opus`,
      `${'a'.repeat(250)}.m4a`,
    ]) {
      const work = workFileName(name, id);
      // the tag writer's temp name adds "." + ".soulspot-<12 hex>.part" around it
      expect(Buffer.byteLength(`.${work}.soulspot-0123456789ab.part`)).toBeLessThanOrEqual(255);
      expect(work.endsWith(name.slice(name.lastIndexOf('.')))).toBe(true);
      expect(work).not.toContain('\uFFFD');
    }
  });
});

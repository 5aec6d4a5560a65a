import { createTagger, type Tagger } from '../../src/library/tagging/tagger.js';

/**
 * The real tag writer behind a gate: every write waits until the gate opens, so filing is held
 * as long as the test wants (a slow tagging step), and how many writes wait at once is counted.
 */
export function gatedTagger(): {
  tagger: Tagger;
  open(): void;
  held: () => number;
  maxHeld: () => number;
} {
  const real = createTagger();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let held = 0;
  let maxHeld = 0;
  return {
    tagger: {
      async write(job) {
        held++;
        maxHeld = Math.max(maxHeld, held);
        try {
          await gate;
          return await real.write(job);
        } finally {
          held--;
        }
      },
      close: () => real.close(),
    },
    open: () => open(),
    held: () => held,
    maxHeld: () => maxHeld,
  };
}

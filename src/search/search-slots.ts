/**
 * Searches by hand at once, at most, in this process: manual searches (POST /api/search) and album
 * folder searches (POST /api/albums) share them. Each holds its request open and a search at slskd
 * (up to 4× searchTimeoutSeconds + 30 s); beyond the bound the caller is told at once (429) rather
 * than piling searches up at the daemon. The prefetcher counts them as searches running, so it
 * gives way to them as it does to workers.
 */
export const MAX_HAND_SEARCHES = 3;

export interface SearchSlots {
  /** Takes a slot: its release function, or null when all are taken. */
  take(): (() => void) | null;
  /** Slots taken now. */
  readonly running: number;
}

export function createSearchSlots(max = MAX_HAND_SEARCHES): SearchSlots {
  let running = 0;
  return {
    take() {
      if (running >= max) return null;
      running++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        running--;
      };
    },
    get running() {
      return running;
    },
  };
}

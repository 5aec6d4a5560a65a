import { canWrite, freeBytes } from './disk.js';

/**
 * Watches the library while some downloads wait on a local fault (disk full, permissions): once it
 * can take files again (a probe file can be written), it asks for those downloads to resume whose
 * file fits above the reserve, by the same rule filing applies, so nothing flips back and forth. The check is cheap and runs only while such downloads exist.
 */
export function createDiskWatcher(deps: {
  libraryDir: string;
  minFreeBytes: number;
  intervalMs: number;
  /** Resumes the waiting downloads that fit in `freeBytes` (above the reserve); returns how many. */
  resume: (freeBytes: number) => Promise<number>;
  /** Whether any download waits on a local fault. */
  waiting: () => Promise<boolean>;
  onError: (error: unknown) => void;
  /** Free space below this many bytes is announced (0 = never); read at each check. */
  lowBytes?: () => number;
  /** Called once each time free space falls below `lowBytes`. */
  onLow?: (freeBytes: number, thresholdBytes: number) => void;
}) {
  let timer: NodeJS.Timeout | null = null;
  let low = false;

  /**
   * Free space against the threshold, with 10% of hysteresis: a disk hovering at the threshold
   * announces itself once, not at every check.
   */
  const checkLow = async (): Promise<void> => {
    const threshold = deps.lowBytes?.() ?? 0;
    if (threshold <= 0 || !deps.onLow) return;
    const free = await freeBytes(deps.libraryDir);
    if (!low && free < threshold) {
      low = true;
      deps.onLow(free, threshold);
    } else if (low && free > threshold * 1.1) low = false;
  };

  const check = async (): Promise<number> => {
    if (!(await deps.waiting())) return 0;
    if (!(await canWrite(deps.libraryDir))) return 0;
    return deps.resume(await freeBytes(deps.libraryDir).catch(() => 0));
  };

  return {
    check,
    checkLow,
    start(): void {
      void checkLow().catch(deps.onError);
      timer = setInterval(() => {
        void check().catch(deps.onError);
        void checkLow().catch(deps.onError);
      }, deps.intervalMs);
    },
    stop(): void {
      if (timer) clearInterval(timer);
    },
  };
}

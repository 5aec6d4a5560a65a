import { canWrite, freeBytes } from './disk.js';

/**
 * Watches the library while some downloads wait on a local fault (disk full, permissions): once it
 * can take files again (free space above the reserve and a probe file can be written), it asks for
 * those downloads to resume. The check is cheap and runs only while such downloads exist.
 */
export function createDiskWatcher(deps: {
  libraryDir: string;
  minFreeBytes: number;
  intervalMs: number;
  /** Resumes waiting downloads; returns how many there were. */
  resume: () => Promise<number>;
  /** Whether any download waits on a local fault. */
  waiting: () => Promise<boolean>;
  onError: (error: unknown) => void;
}) {
  let timer: NodeJS.Timeout | null = null;

  const check = async (): Promise<number> => {
    if (!(await deps.waiting())) return 0;
    const room = (await freeBytes(deps.libraryDir).catch(() => 0)) > deps.minFreeBytes;
    if (!room || !(await canWrite(deps.libraryDir))) return 0;
    return deps.resume();
  };

  return {
    check,
    start(): void {
      timer = setInterval(() => void check().catch(deps.onError), deps.intervalMs);
    },
    stop(): void {
      if (timer) clearInterval(timer);
    },
  };
}

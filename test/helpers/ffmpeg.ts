// The one way the test helpers make real media with ffmpeg (audio.ts, audio-formats.ts): a lavfi
// source (a sine, noise, a colour) rendered into `file`, quietly, with its folder made first.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** ffmpeg's lavfi `source` (e.g. `sine=frequency=440:duration=2`) through `output` args to `file`. */
export async function renderLavfi(file: string, source: string, output: string[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    source,
    ...output,
    file,
  ]);
}

/** A mono sine tone as lavfi's source: `seconds` long at `frequency` Hz and `sampleRate`. */
export function sineSource(seconds: number, frequency: number, sampleRate: number): string {
  return `sine=frequency=${frequency}:duration=${seconds}:sample_rate=${sampleRate}`;
}

import { spawn } from 'node:child_process';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '..', '..');
export const BIN = path.join(repo, 'bin', 'soulspot.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without anything SoulSpot or colour related from the test runner's own. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('SOULSPOT_') && k !== 'NO_COLOR' && k !== 'FORCE_COLOR')
      env[k] = v;
  return { ...env, ...extra };
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The CLI as a real child process (bin/soulspot.js, as `npx soulspot` runs it). With `tty`, under
 * util-linux `script`, which gives it a pseudo-terminal: its stdout is then a TTY, and what it
 * wrote (stdout and stderr together, as a terminal shows them) comes back as stdout.
 */
export function runCli(
  args: string[],
  opts: {
    env: Record<string, string>;
    cwd: string;
    tty?: boolean;
    timeoutMs?: number;
    /** Called with all of stdout so far, each time more arrives (and a way to signal the CLI). */
    onStdout?: (sofar: string, kill: (signal: NodeJS.Signals) => void) => void;
    /** The same for stderr. */
    onStderr?: (sofar: string) => void;
  },
): Promise<CliRun> {
  const child = opts.tty
    ? spawn(
        'script',
        ['-qfec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null'],
        {
          cwd: opts.cwd,
          env: { ...opts.env, COLUMNS: '160', LINES: '40' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
    : spawn(process.execPath, [BIN, ...args], {
        cwd: opts.cwd,
        env: opts.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
    opts.onStdout?.(stdout, (signal) => child.kill(signal));
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    opts.onStderr?.(stderr);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`soulspot ${args.join(' ')} did not end in time\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

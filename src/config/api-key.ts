import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config-error.js';

/** Shorter keys are refused wherever they come from; the API must never run without a real key. */
export const MIN_API_KEY_LENGTH = 16;

export interface ResolvedApiKey {
  value: string;
  /** True when the key was made on this start: the only start that prints it. */
  generated: boolean;
  /** The file the key was read from or written to; null when SOULSPOT_API_KEY set it. */
  file: string | null;
}

const WHAT_TO_DO = 'delete it to have a new key generated, or set SOULSPOT_API_KEY';

/**
 * Why a key cannot be used, or null. Trimmed first: a header value cannot carry surrounding white
 * space, so " key " could never be sent, and a file usually ends with a newline. Control characters
 * (a second line, a NUL) cannot be sent in a header either.
 */
export function apiKeyProblem(key: string): string | null {
  if (key.length < MIN_API_KEY_LENGTH) {
    return `at least ${MIN_API_KEY_LENGTH} characters are needed (found ${key.length} after trimming white space)`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key))
    return 'the key contains control characters or several lines';
  return null;
}

/** Uses SOULSPOT_API_KEY, else the key stored in the data dir, else makes and stores one. */
export function resolveApiKey(dataDir: string, fromEnv: string | undefined): ResolvedApiKey {
  if (fromEnv !== undefined) {
    const value = fromEnv.trim();
    const problem = apiKeyProblem(value);
    if (problem !== null) throw new ConfigError([`SOULSPOT_API_KEY: ${problem}`]);
    return { value, generated: false, file: null };
  }
  const file = path.join(dataDir, 'api-key');
  const stored = readStoredKey(file);
  if (stored !== null) return { value: stored, generated: false, file };
  return { value: generateKey(dataDir, file), generated: true, file };
}

/**
 * The key `/metrics` accepts besides the API key: SOULSPOT_METRICS_KEY, else `<data dir>/metrics-key`
 * when that file exists (read as the API key file is; never generated), else null (then only the
 * API key opens `/metrics`: it is never open without one).
 */
export function resolveMetricsKey(dataDir: string, fromEnv: string | undefined): string | null {
  if (fromEnv !== undefined) {
    const value = fromEnv.trim();
    const problem = apiKeyProblem(value);
    if (problem !== null) throw new ConfigError([`SOULSPOT_METRICS_KEY: ${problem}`]);
    return value;
  }
  return readStoredKey(
    path.join(dataDir, 'metrics-key'),
    'fix or delete it, or set SOULSPOT_METRICS_KEY',
    'metrics key',
  );
}

/**
 * The stored key, or null when there is no file. A file that is there but unusable stops the start
 * rather than being replaced: stopping is the safe choice. The user's clients hold the old key, so a
 * silently new one would lock them out for a reason they cannot see, and a file that cannot be read
 * (a directory, a mount gone wrong) may well be readable again once the cause is fixed. And running
 * with no key is never an option.
 */
function readStoredKey(file: string, whatToDo = WHAT_TO_DO, what = 'API key'): string | null {
  let bytes: Buffer;
  try {
    bytes = readKeyBytes(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') {
      throw new ConfigError([
        `${path.dirname(file)} is not a directory: set SOULSPOT_DATA_DIR to a directory`,
      ]);
    }
    throw new ConfigError([
      `${file} cannot be read (${code ?? String(error)}): fix it, or ${whatToDo}`,
    ]);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError([`${file} is not valid UTF-8 text: ${whatToDo}`]);
  }
  const key = text.trim();
  const problem = apiKeyProblem(key);
  if (problem !== null) {
    throw new ConfigError([`${file} holds no usable ${what} (${problem}): ${whatToDo}`]);
  }
  return key;
}

/** A key file is a few dozen bytes; anything this large is not one. */
const MAX_KEY_FILE_BYTES = 4096;

/**
 * The file's bytes, only from a regular file of at most MAX_KEY_FILE_BYTES. A FIFO at the path
 * would block the start for ever in a plain read (opened non-blocking, it is refused instead), and
 * a device such as /dev/zero would never end. A symlink to a regular file is fine (Docker secrets).
 */
function readKeyBytes(file: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    const fail = (what: string): never => {
      const error: NodeJS.ErrnoException = new Error(what);
      error.code = what;
      throw error;
    };
    if (!stats.isFile()) fail(stats.isDirectory() ? 'EISDIR' : 'not a regular file');
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_KEY_FILE_BYTES) fail(`larger than ${MAX_KEY_FILE_BYTES} bytes`);
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes a key and stores it so that a crash leaves either no file or the whole key, never an empty
 * or partial one (which the next start would refuse): written to a temporary file in the same
 * directory with mode 0600, fsynced, renamed into place, then the directory fsynced so the rename
 * itself survives a power loss.
 */
function generateKey(dataDir: string, file: string): string {
  const value = randomBytes(24).toString('hex');
  const temp = path.join(dataDir, `.api-key.${randomBytes(6).toString('hex')}.tmp`);
  try {
    mkdirSync(dataDir, { recursive: true });
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, `${value}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    fsyncDirectory(dataDir);
  } catch (error) {
    rmSync(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError([
      `cannot store a new API key in ${dataDir} (${code}): make SOULSPOT_DATA_DIR a writable directory, or set SOULSPOT_API_KEY`,
    ]);
  }
  return value;
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    // Some platforms and file systems cannot fsync a directory; the file itself is already synced.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    closeSync(fd);
  }
}

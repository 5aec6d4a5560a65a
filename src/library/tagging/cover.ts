import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { AddressPolicy } from '../../net/address-policy.js';
import { safeFetch, SafeFetchError } from '../../net/safe-fetch.js';
import { openConfined } from '../confine.js';
import { imageSizeProblem } from './image-size.js';
import { imageTypeOf, type CoverImage } from './tags.js';

/** Covers larger than this are refused: a front cover is rarely over 2 MB, a 10 MB one is abuse. */
export const MAX_COVER_BYTES = 10 * 1024 * 1024;
const COVER_TIMEOUT_MS = 15_000;

/** No usable cover could be had from where one was asked for. */
export class CoverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoverError';
  }
}

export interface CoverFetchOptions {
  policy?: AddressPolicy;
  maxBytes?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The image at `url`, through the SSRF-safe fetcher. Only JPEG and PNG, judged by their first bytes
 * (a Content-Type header says what the server claims, not what it sent).
 */
export async function fetchCover(
  url: string,
  options: CoverFetchOptions = {},
): Promise<CoverImage> {
  let body: Buffer;
  try {
    const response = await safeFetch(url, {
      maxBytes: options.maxBytes ?? MAX_COVER_BYTES,
      timeoutMs: options.timeoutMs ?? COVER_TIMEOUT_MS,
      headers: { accept: 'image/jpeg, image/png' },
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (response.status !== 200)
      throw new CoverError(`the cover URL answered HTTP ${response.status}`);
    body = response.body;
  } catch (error) {
    if (error instanceof SafeFetchError) throw new CoverError(`cover URL: ${error.message}`);
    throw error;
  }
  return asCover(body, url);
}

/** `cover.jpg`, `Folder.png`… in a download's own folder; the first found in this order wins. */
const COVER_NAMES = ['cover', 'folder', 'front', 'album'];
const COVER_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/**
 * Which of these local files (absolute paths) belong to the download, each with the size it must
 * have: the caller knows where they came from (post-process.cover.ts asks slskd which transfers
 * of the attempt's own source folder wrote them). Called only when there is a candidate at all.
 */
export type CoverOwnership = (files: string[]) => Promise<ReadonlyMap<string, number>>;

/**
 * A cover image that came with the download (slskd puts a peer's folder next to the file), read
 * through the downloads folder's confinement: a symlink pointing out of it is not followed.
 * slskd names that folder after the peer's last folder only ("CD1", "Disc 1"), so unrelated
 * albums share it: an image counts only when `owned` says it is the download's and it still has
 * the size that says so (not when it was last written: timestamps tell nothing about whose it
 * is). Null when there is none.
 */
export async function findFolderCover(
  downloadsRoot: string,
  audioFile: string,
  owned: CoverOwnership,
): Promise<CoverImage | null> {
  const folder = path.dirname(audioFile);
  const names = await readdir(folder).catch(() => [] as string[]);
  const rank = (name: string): number => {
    const ext = path.extname(name).toLowerCase();
    const stem = path.basename(name, path.extname(name)).toLowerCase();
    const i = COVER_NAMES.indexOf(stem);
    return i < 0 || !COVER_EXTENSIONS.includes(ext) ? -1 : i;
  };
  const candidates = names
    .filter((n) => rank(n) >= 0)
    .sort((a, b) => rank(a) - rank(b))
    .map((name) => path.resolve(folder, name));
  if (candidates.length === 0) return null;
  const sizes = await owned(candidates);
  for (const file of candidates) {
    const size = sizes.get(file);
    if (size === undefined) continue;
    const image = await readConfinedImage(downloadsRoot, file, size).catch(() => null);
    if (image) return image;
  }
  return null;
}

async function readConfinedImage(
  root: string,
  file: string,
  size: number,
): Promise<CoverImage | null> {
  const handle = await openConfined(root, file);
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > MAX_COVER_BYTES || stats.size !== size) return null;
    const data = Buffer.alloc(stats.size);
    const { bytesRead } = await handle.read(data, 0, stats.size, 0);
    const bytes = data.subarray(0, bytesRead);
    return imageTypeOf(bytes) && !imageSizeProblem(bytes) ? asCover(bytes, file) : null;
  } finally {
    await handle.close();
  }
}

function asCover(data: Buffer, from: string): CoverImage {
  const mime = imageTypeOf(data);
  if (!mime) throw new CoverError(`${from} is not a JPEG or PNG image`);
  // Embedded and written as the folder's cover.jpg alike: both go through here.
  const problem = imageSizeProblem(data);
  if (problem) throw new CoverError(`${from} is not usable as a cover: ${problem}`);
  return { mime, data: new Uint8Array(data) };
}

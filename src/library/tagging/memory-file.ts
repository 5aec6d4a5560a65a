import { ByteVector, SeekOrigin, type IFileAbstraction, type IStream } from 'node-taglib-sharp';

/**
 * A file held in memory, for node-taglib-sharp (tag-file.ts): the tag worker tags a file's bytes
 * here and writes the result to disk once, instead of node-taglib-sharp rewriting a file on disk
 * in place (its insert shifts everything after a grown tag through many small reads and writes).
 * Read and write streams share the one buffer, as two descriptors of one file would.
 */
export class MemoryFile implements IFileAbstraction {
  private buffer: Uint8Array;
  /** Bytes of `buffer` that are the file (the rest is room to grow). */
  size: number;

  /** The file is the first `size` bytes of `storage`; the rest is room to grow into. */
  constructor(
    readonly name: string,
    storage: Uint8Array,
    size = storage.length,
  ) {
    this.buffer = storage;
    this.size = size;
  }

  /** The file's bytes now (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.size);
  }

  get readStream(): IStream {
    return new MemoryStream(this, false);
  }

  get writeStream(): IStream {
    return new MemoryStream(this, true);
  }

  closeStream(): void {}

  /** Makes room for `length` bytes, keeping the content; grows by half again to amortize. */
  reserve(length: number): Uint8Array {
    if (length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(length, Math.ceil(this.buffer.length * 1.5)));
      grown.set(this.buffer.subarray(0, this.size));
      this.buffer = grown;
    }
    return this.buffer;
  }

  storage(): Uint8Array {
    return this.buffer;
  }
}

/** node-taglib-sharp's Stream (a descriptor and a position) over a MemoryFile. */
class MemoryStream implements IStream {
  private at = 0;

  constructor(
    private readonly file: MemoryFile,
    readonly canWrite: boolean,
  ) {}

  get length(): number {
    return this.file.size;
  }

  get position(): number {
    return this.at;
  }

  set position(position: number) {
    if (!Number.isSafeInteger(position) || position < 0)
      throw new Error('Argument out of range: position must be a safe, positive integer');
    this.at = position;
  }

  close(): void {}

  read(buffer: Uint8Array, offset: number, length: number): number {
    const n = Math.max(0, Math.min(length, this.file.size - this.at));
    buffer.set(this.file.storage().subarray(this.at, this.at + n), offset);
    this.at += n;
    return n;
  }

  seek(offset: number, origin: SeekOrigin): void {
    if (origin === SeekOrigin.Begin) this.position = offset;
    else if (origin === SeekOrigin.Current) this.position = this.at + offset;
    else this.position = this.file.size + offset;
  }

  setLength(length: number): void {
    if (!this.canWrite) throw new Error('Invalid operation: this stream is a read-only stream');
    if (length > this.file.size) this.file.reserve(length).fill(0, this.file.size, length);
    this.file.size = length;
    if (this.at > length) this.at = length;
  }

  write(data: Uint8Array | ByteVector, offset: number, length: number): number {
    if (!this.canWrite) throw new Error('Invalid operation: this stream is a read-only stream');
    const bytes = data instanceof ByteVector ? data.toByteArray() : data;
    const n = Math.max(0, Math.min(length, bytes.length - offset));
    const end = this.at + n;
    // A write past the end grows the file (the gap, if any, reads as zeros as on disk).
    const storage = this.file.reserve(end);
    if (this.at > this.file.size) storage.fill(0, this.file.size, this.at);
    storage.set(bytes.subarray(offset, offset + n), this.at);
    this.at = end;
    if (end > this.file.size) this.file.size = end;
    return n;
  }
}

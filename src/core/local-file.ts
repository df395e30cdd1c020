import { closeSync, constants, fstatSync, openSync, promises as fs, readSync, type Stats } from 'node:fs';
import { TroubleshooterError } from './errors';

/**
 * Reading a local file a user named (a config to lint, an ssh config, clouds.yaml, a log folder's hostname file)
 * without trusting what it is: `/dev/zero` would grow memory until the process dies, a FIFO would block forever,
 * `/dev/stdin` would wait for a terminal. So:
 * - open with O_NONBLOCK (a FIFO without a writer does not block the open; regular files ignore the flag), then
 *   fstat the open descriptor (no window between a stat and the open), and refuse anything but a regular file;
 * - read at most `maxBytes + 1` bytes, whatever the size fstat reported (a file growing while read, /proc files
 *   that report size 0), and refuse a larger file.
 * Errors from open (ENOENT, EACCES, EISDIR…) are passed through for the caller to word.
 */

export interface BoundedRead {
  bytes: Buffer;
  stat: Stats;
}

export interface BoundedReadOptions {
  maxBytes: number;
  /** The error for a file larger than maxBytes; `size` is at least maxBytes + 1 (the whole size when known). */
  tooLarge?(size: number): TroubleshooterError;
  /** How messages name the file (default: the path). */
  shownAs?: string;
}

function kindOf(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

export function notRegularFileError(shownAs: string, st: Stats): TroubleshooterError {
  if (st.isDirectory()) return new TroubleshooterError('InvalidInput', `This is a directory, not a file: "${shownAs}".`, { subject: shownAs });
  return new TroubleshooterError('InvalidInput', `Not a regular file (${kindOf(st)}): "${shownAs}".`, { subject: shownAs });
}

function defaultTooLarge(shownAs: string, maxBytes: number) {
  return (size: number) => new TroubleshooterError('FileTooLarge', `The file is larger than the ${+(maxBytes / 1048576).toFixed(1)} MiB limit: "${shownAs}".`, { subject: shownAs, size });
}

const CHUNK = 256 * 1024;
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Reads a regular file, at most `maxBytes`. */
export async function readRegularFile(path: string, opts: BoundedReadOptions): Promise<BoundedRead> {
  const shownAs = opts.shownAs ?? path;
  const fh = await fs.open(path, OPEN_FLAGS);
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw notRegularFileError(shownAs, stat);
    const tooLarge = opts.tooLarge ?? defaultTooLarge(shownAs, opts.maxBytes);
    if (stat.size > opts.maxBytes) throw tooLarge(stat.size);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(CHUNK, opts.maxBytes + 1 - total));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return { bytes: Buffer.concat(parts, total), stat };
      parts.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > opts.maxBytes) throw tooLarge(total);
    }
  } finally {
    await fh.close();
  }
}

/** `readRegularFile` for synchronous callers (config loading at startup). */
export function readRegularFileSync(path: string, opts: BoundedReadOptions): BoundedRead {
  const shownAs = opts.shownAs ?? path;
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegularFileError(shownAs, stat);
    const tooLarge = opts.tooLarge ?? defaultTooLarge(shownAs, opts.maxBytes);
    if (stat.size > opts.maxBytes) throw tooLarge(stat.size);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(CHUNK, opts.maxBytes + 1 - total));
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
      if (bytesRead === 0) return { bytes: Buffer.concat(parts, total), stat };
      parts.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > opts.maxBytes) throw tooLarge(total);
    }
  } finally {
    closeSync(fd);
  }
}

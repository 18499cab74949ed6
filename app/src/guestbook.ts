// The guestbook lives on a volume every replica mounts (EFS on ECS and EKS), written by many tasks at
// once over NFS. NFS has no append or lock that is safe across clients, so the store never modifies a
// file: each entry is its own file, written under a temporary name and renamed into place. A rename
// within one directory is atomic on the NFS server, so a reader sees a whole entry or none, and two
// writers can never overwrite each other because every name is unique. There is no shared index
// that two writers could clobber: the directory tree is the index.
//
// Layout, by UTC hour, so the newest entries are found without listing all of them and the prune
// task deletes whole old hours:
//
//   <dir>/2026-11-22/10/2026-11-22T10-15-30-123Z-<uuid>.json
//
// Entry files that earlier versions wrote straight into <dir> are still listed and pruned.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const NAME_MAX_LENGTH = 40;
export const MESSAGE_MAX_LENGTH = 280;

export interface GuestbookEntry {
  id: string;
  name: string;
  message: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** Which replica wrote the entry: a platform id and a task id or pod name. */
  writtenBy: { platform: string; replica: string };
}

export interface NewEntry {
  name: string;
  message: string;
}

/** Input a person can fix: what is wrong, per field. */
export class InvalidEntryError extends Error {
  constructor(readonly problems: Partial<Record<keyof NewEntry, string>>) {
    super(Object.values(problems).join('; '));
  }
}

// File names start with a fixed-width UTC time (`2026-11-22T10-15-30-123Z`, no colons so the names
// also survive copying to other file systems), so sorting names sorts entries by time, and the day and
// hour directories sort the same way.
const STAMP = String.raw`\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z`;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ENTRY_FILE = new RegExp(`^(${STAMP})-${UUID}\\.json$`);
const TEMP_FILE = new RegExp(`^\\.(${STAMP})-${UUID}\\.json\\.tmp$`);
const DAY_DIR = /^\d{4}-\d\d-\d\d$/;
const HOUR_DIR = /^\d\d$/;

/**
 * A directory listing is reused only if it was taken at least this long after the directory last
 * changed. Two changes within one tick of the file system's clock leave the same modification time, so
 * a listing taken in between would otherwise hide the second change until the next one ("racy"
 * timestamps, as Git calls them). One second is far above any file system's tick and any skew between
 * NTP-synchronised hosts and the NFS server.
 */
const RACY_MS = 1000;

/** At most this many entry files are opened at once. */
const READ_AHEAD = 64;

interface Listing {
  /** The directory's inode and modification time when listed; '' when the listing was racy. */
  version: string;
  /** Sorted newest first. */
  names: string[];
}

export class Guestbook {
  private lastWrite = 0;
  /**
   * The directories the last list() visited, keyed on their modification time: adding or deleting an
   * entry changes its directory's, so an unchanged time means an unchanged listing, and a page costs a
   * stat() per directory instead of listing (and sorting) every entry again.
   */
  private listings = new Map<string, Listing>();
  /**
   * The entries the last list() returned, by path. An entry file never changes once renamed into
   * place, so a copy read once stays right: only new files are read.
   */
  private listed = new Map<string, GuestbookEntry>();

  constructor(
    readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Validates and stores one entry; throws InvalidEntryError for input a person can fix. */
  async add(input: NewEntry, writtenBy: GuestbookEntry['writtenBy']): Promise<GuestbookEntry> {
    const entry: GuestbookEntry = {
      id: randomUUID(),
      ...validate(input),
      createdAt: new Date(this.nextWriteTime()).toISOString(),
      writtenBy,
    };
    const name = `${fileStamp(entry.createdAt)}-${entry.id}.json`;
    const hour = join(this.dir, ...hourOf(name));
    // Hidden and in the same directory: rename is only atomic within one directory, and list() never
    // picks up a half-written file. No fsync: closing a file on NFS sends its data to the server
    // (close-to-open consistency), and list() skips any file it cannot parse.
    const temporary = join(hour, `.${name}.tmp`);
    const write = () => writeFile(temporary, JSON.stringify(entry), { flag: 'wx' });
    try {
      // The hour's directory exists but for the first entry of each hour: create it only then.
      await write().catch(async (error: unknown) => {
        if (!isNotFound(error)) throw error;
        await mkdir(hour, { recursive: true });
        await write();
      });
      await rename(temporary, join(hour, name));
    } catch (error) {
      await removeIfPresent(temporary);
      throw error;
    }
    return entry;
  }

  /** The newest entries first, from every replica. */
  async list(limit: number): Promise<GuestbookEntry[]> {
    const listings = new Map<string, Listing>();
    const files = this.newestFirst(listings);
    const entries = new Map<string, GuestbookEntry>();
    // Read in parallel, and read further when an entry turns out unreadable or was pruned since listed.
    while (entries.size < limit) {
      const batch: string[] = [];
      while (batch.length < Math.min(limit - entries.size, READ_AHEAD)) {
        const next = await files.next();
        if (next.done) break;
        batch.push(next.value);
      }
      if (batch.length === 0) break;
      const read = await Promise.all(
        batch.map(async (path) => [path, this.listed.get(path) ?? (await this.read(path))] as const),
      );
      for (const [path, entry] of read) if (entry !== undefined) entries.set(path, entry);
    }
    // Keeping only what this call visited bounds both caches and lets pruned entries go.
    this.listings = listings;
    this.listed = entries;
    return [...entries.values()];
  }

  /**
   * Deletes entries written before `olderThan`, and temporary files a crashed writer left behind, then
   * the hour and day directories that held only those. Only the directories at the cutoff are listed
   * file by file. Safe to run from several replicas at once: a file or directory someone else deleted
   * first is simply skipped. Returns how many entries it deleted.
   */
  async prune(olderThan: Date): Promise<number> {
    const cutoff = fileStamp(olderThan.toISOString());
    const [cutoffDay, cutoffHour] = hourOf(cutoff);
    let deleted = await pruneFiles(this.dir, cutoff);
    for (const day of (await readdir(this.dir)).filter((name) => DAY_DIR.test(name) && name <= cutoffDay)) {
      const dayPath = join(this.dir, day);
      const hours = (await readdirIfPresent(dayPath)).filter((name) => HOUR_DIR.test(name));
      for (const hour of hours.filter((name) => day < cutoffDay || name <= cutoffHour)) {
        const hourPath = join(dayPath, hour);
        deleted += await pruneFiles(hourPath, cutoff);
        if (day < cutoffDay || hour < cutoffHour) await removeDirectoryIfEmpty(hourPath);
      }
      if (day < cutoffDay) await removeDirectoryIfEmpty(dayPath);
    }
    return deleted;
  }

  /**
   * Entry paths (relative to the volume), newest first: the day and hour directories newest first and
   * the files in each, merged with the entry files earlier versions left in the top directory.
   */
  private async *newestFirst(listings: Map<string, Listing>): AsyncGenerator<string> {
    const top = await this.listing('', listings);
    const legacy = top.filter((name) => ENTRY_FILE.test(name));
    let next = 0;
    for (const day of top.filter((name) => DAY_DIR.test(name))) {
      for (const hour of (await this.listing(day, listings)).filter((name) => HOUR_DIR.test(name))) {
        for (const name of await this.listing(`${day}/${hour}`, listings)) {
          if (!ENTRY_FILE.test(name)) continue;
          while (next < legacy.length && legacy[next] > name) yield legacy[next++];
          yield `${day}/${hour}/${name}`;
        }
      }
    }
    yield* legacy.slice(next);
  }

  /** A directory's names, newest first, listed again only if the directory changed. */
  private async listing(path: string, listings: Map<string, Listing>): Promise<string[]> {
    const full = join(this.dir, path);
    let stats;
    try {
      stats = await stat(full, { bigint: true });
    } catch (error) {
      // An hour or day the prune task deleted since its parent was listed; the top directory must exist.
      if (path !== '' && isNotFound(error)) return [];
      throw error;
    }
    const version = `${stats.ino}:${stats.mtimeNs}`;
    let listing = this.listings.get(path);
    if (listing === undefined || listing.version !== version) {
      const listedAt = Date.now();
      const names = (await readdirIfPresent(full)).sort().reverse();
      listing = { version: listedAt - Number(stats.mtimeMs) < RACY_MS ? '' : version, names };
    }
    listings.set(path, listing);
    return listing.names;
  }

  private async read(path: string): Promise<GuestbookEntry | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.dir, path), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    try {
      const entry: unknown = JSON.parse(text);
      return isGuestbookEntry(entry) ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /** Strictly increasing within this replica, so entries one client posts in quick succession keep their order. */
  private nextWriteTime(): number {
    this.lastWrite = Math.max(this.now(), this.lastWrite + 1);
    return this.lastWrite;
  }
}

// What is stripped before anything is counted: control characters (NUL, ESC, ...; the message keeps its
// line breaks), the bidirectional embedding, override and isolate controls that could reorder the text
// around an entry, and unpaired surrogates (invalid UTF-16 that JSON can carry).
const INVISIBLE = /[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]/gu;
const INVISIBLE_BUT_NEWLINE = /(?!\n)[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]/gu;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
/**
 * V8 copies the whole input into every segment Intl.Segmenter returns, so segmenting is quadratic in
 * the text's length: a 64 KiB message would take seconds. Short windows keep it linear.
 */
const SEGMENT_WINDOW = 64;

/**
 * Whether `text` has more than `max` characters as a person counts them (grapheme clusters: an emoji,
 * a flag or a letter with accents counts once, however many UTF-16 units it takes). It reads no
 * further than max + 1 of them, so an oversized body costs no more than a valid one.
 */
export function longerThan(text: string, max: number): boolean {
  let count = 0;
  for (let start = 0; start < text.length && count <= max;) {
    // Never end a window between the two halves of a surrogate pair: half an emoji reads as no emoji.
    const cut = /[\uD800-\uDBFF]/.test(text[start + SEGMENT_WINDOW - 1] ?? '') ? 1 : 0;
    const window = text.slice(start, start + SEGMENT_WINDOW - cut);
    const segments = [...graphemes.segment(window)];
    if (start + window.length === text.length) return count + segments.length > max;
    // The last segment may go on past the window: the next window starts with it. A window starts at a
    // boundary, where the rules (which look back only within a cluster) restart as they would in place.
    const last = segments[segments.length - 1].index;
    // One cluster longer than the window (a letter under dozens of accents) counts once per window.
    count += last === 0 ? 1 : segments.length - 1;
    start += last === 0 ? window.length : last;
  }
  return count > max;
}

function validate(input: NewEntry): NewEntry {
  const name = input.name.replace(/\s+/g, ' ').replace(INVISIBLE, '').trim();
  const message = input.message
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(INVISIBLE_BUT_NEWLINE, '')
    .trim();
  const problems: InvalidEntryError['problems'] = {};
  for (const [field, value, max] of [
    ['name', name, NAME_MAX_LENGTH],
    ['message', message, MESSAGE_MAX_LENGTH],
  ] as const) {
    if (value === '') problems[field] = `${field} is required`;
    else if (longerThan(value, max)) problems[field] = `${field} is longer than ${max} characters`;
  }
  if (Object.keys(problems).length > 0) throw new InvalidEntryError(problems);
  return { name, message };
}

function fileStamp(isoTime: string): string {
  return isoTime.replace(/[:.]/g, '-');
}

/** `2026-11-22T10-15-30-123Z...` -> ['2026-11-22', '10']: the directories an entry or a cutoff falls in. */
function hourOf(stamp: string): [string, string] {
  return [stamp.slice(0, 10), stamp.slice(11, 13)];
}

/** Deletes the entries and temporary files in `dir` written before `cutoff`; returns how many entries. */
async function pruneFiles(dir: string, cutoff: string): Promise<number> {
  const writtenBefore = (pattern: RegExp) => (name: string) => {
    const stamp = pattern.exec(name)?.[1];
    return stamp !== undefined && stamp < cutoff;
  };
  const remove = (name: string) => removeIfPresent(join(dir, name));
  const names = await readdirIfPresent(dir);
  await Promise.all(names.filter(writtenBefore(TEMP_FILE)).map(remove));
  const removed = await Promise.all(names.filter(writtenBefore(ENTRY_FILE)).map(remove));
  return removed.filter(Boolean).length;
}

/** Files on a shared volume may come from other versions of the app: trust nothing. */
function isGuestbookEntry(value: unknown): value is GuestbookEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  const writtenBy = entry.writtenBy as Record<string, unknown> | null | undefined;
  return (
    ['id', 'name', 'message', 'createdAt'].every((key) => typeof entry[key] === 'string') &&
    typeof writtenBy?.platform === 'string' &&
    typeof writtenBy.replica === 'string'
  );
}

async function readdirIfPresent(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

async function removeIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** A directory another pruner removed first, or one still holding files (not ours, or just written), stays as it is. */
async function removeDirectoryIfEmpty(path: string): Promise<void> {
  try {
    await rmdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

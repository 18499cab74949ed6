// The guestbook lives on a volume every replica mounts (EFS on ECS and EKS), written by many tasks at
// once over NFS. NFS has no append or lock that is safe across clients, so the store never modifies a
// file: each entry is its own file, written under a temporary name and renamed into place. A rename
// within one directory is atomic on the NFS server, so a reader sees a whole entry or none, and two
// writers can never overwrite each other because every name is unique.
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
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

/** Input a person can fix: empty or too long. */
export class InvalidEntryError extends Error {}

// File names start with a fixed-width UTC time (`2026-11-22T10-15-30-123Z`, no colons so the names
// also survive copying to other file systems), so sorting names sorts entries by time and list() only
// opens the newest files, however many entries the volume holds.
const STAMP = String.raw`\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z`;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ENTRY_FILE = new RegExp(`^(${STAMP})-${UUID}\\.json$`);
const TEMP_FILE = new RegExp(`^\\.(${STAMP})-${UUID}\\.json\\.tmp$`);

export class Guestbook {
  private lastWrite = 0;
  /**
   * The entries the last list() returned, by file name. An entry file never changes once renamed into
   * place, so a copy read once stays right: a page view costs one directory listing plus reads of the
   * new files only, instead of a round trip to the NFS server per entry shown.
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
    const path = join(this.dir, name);
    // Hidden and in the same directory: rename is only atomic within one file system, and list()
    // never picks up a half-written file. No fsync: closing a file on NFS sends its data to the server
    // (close-to-open consistency), and list() skips any file it cannot parse.
    const temporary = join(this.dir, `.${name}.tmp`);
    try {
      await writeFile(temporary, JSON.stringify(entry), { flag: 'wx' });
      await rename(temporary, path);
    } catch (error) {
      await removeIfPresent(temporary);
      throw error;
    }
    return entry;
  }

  /** The newest entries first, from every replica. */
  async list(limit: number): Promise<GuestbookEntry[]> {
    const names = (await readdir(this.dir))
      .filter((name) => ENTRY_FILE.test(name))
      .sort()
      .reverse();
    const entries = new Map<string, GuestbookEntry>();
    let next = 0;
    // Read in parallel, and read further when an entry turns out unreadable or was pruned since readdir.
    while (entries.size < limit && next < names.length) {
      const batch = names.slice(next, next + limit - entries.size);
      next += batch.length;
      const read = await Promise.all(
        batch.map(async (name) => [name, this.listed.get(name) ?? (await this.read(name))] as const),
      );
      for (const [name, entry] of read) if (entry !== undefined) entries.set(name, entry);
    }
    // Keeping only what this listing returned bounds the cache and lets pruned entries go.
    this.listed = entries;
    return [...entries.values()];
  }

  /**
   * Deletes entries written before `olderThan`, and temporary files a crashed writer left behind.
   * Safe to run from several replicas at once: a file someone else deleted first is simply skipped.
   * Returns how many entries it deleted.
   */
  async prune(olderThan: Date): Promise<number> {
    const cutoff = fileStamp(olderThan.toISOString());
    const writtenBefore = (pattern: RegExp) => (name: string) => {
      const stamp = pattern.exec(name)?.[1];
      return stamp !== undefined && stamp < cutoff;
    };
    const remove = (name: string) => removeIfPresent(join(this.dir, name));
    const names = await readdir(this.dir);
    await Promise.all(names.filter(writtenBefore(TEMP_FILE)).map(remove));
    const removed = await Promise.all(names.filter(writtenBefore(ENTRY_FILE)).map(remove));
    return removed.filter(Boolean).length;
  }

  private async read(name: string): Promise<GuestbookEntry | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.dir, name), 'utf8');
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

function validate(input: NewEntry): NewEntry {
  const name = input.name.trim().replace(/\s+/g, ' ');
  const message = input.message.trim().replace(/\r\n?/g, '\n');
  if (name === '') throw new InvalidEntryError('name is required');
  if (message === '') throw new InvalidEntryError('message is required');
  if (name.length > NAME_MAX_LENGTH) {
    throw new InvalidEntryError(`name is longer than ${NAME_MAX_LENGTH} characters`);
  }
  if (message.length > MESSAGE_MAX_LENGTH) {
    throw new InvalidEntryError(`message is longer than ${MESSAGE_MAX_LENGTH} characters`);
  }
  return { name, message };
}

function fileStamp(isoTime: string): string {
  return isoTime.replace(/[:.]/g, '-');
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

async function removeIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

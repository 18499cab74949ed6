// The file-per-entry store on a local temporary directory.
import { randomUUID } from 'node:crypto';
import { promises as fsPromises } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Guestbook,
  InvalidEntryError,
  longerThan,
  MESSAGE_MAX_LENGTH,
  NAME_MAX_LENGTH,
} from '../../app/src/guestbook';

const WRITER = { platform: 'ecs-ec2', replica: 'task-1' };
const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'guestbook-'));
});

afterEach(() => {
  jest.restoreAllMocks();
  return rm(dir, { recursive: true, force: true });
});

/** A clock that starts at `iso` and moves only when told to. */
function clockAt(iso: string) {
  const clock = { now: Date.parse(iso), read: () => clock.now };
  return clock;
}

/** Every directory of the volume, as if its last change were an hour ago: what a running volume looks like. */
async function settle(path = dir): Promise<void> {
  const children = await readdir(path, { withFileTypes: true });
  await Promise.all(children.filter((c) => c.isDirectory()).map((c) => settle(join(path, c.name))));
  const anHourAgo = new Date(Date.now() - 60 * MINUTE);
  await utimes(path, anHourAgo, anHourAgo);
}

/** The store's own files: entries and temporary files, wherever they are. */
async function files(volume = dir): Promise<string[]> {
  const children = await readdir(volume, { withFileTypes: true, recursive: true });
  return children.filter((c) => c.isFile()).map((c) => join(c.parentPath, c.name).slice(volume.length + 1));
}

describe('add()', () => {
  test('writes one file per entry into the directory of its UTC day and hour, and no temporary file', async () => {
    const book = new Guestbook(dir, () => Date.parse('2026-11-22T10:15:30.123Z'));

    const entry = await book.add({ name: ' Ada ', message: 'line one\r\nline two' }, WRITER);

    expect(entry).toMatchObject({ name: 'Ada', message: 'line one\nline two', writtenBy: WRITER });
    expect(await files()).toEqual([`2026-11-22/10/2026-11-22T10-15-30-123Z-${entry.id}.json`]);
  });

  test('rejects what a person can fix, naming each field, and writes nothing', async () => {
    const book = new Guestbook(dir);

    const added = book.add({ name: '\t', message: 'm'.repeat(MESSAGE_MAX_LENGTH + 1) }, WRITER);

    await expect(added).rejects.toThrow(InvalidEntryError);
    await expect(added).rejects.toMatchObject({
      problems: {
        name: 'name is required',
        message: `message is longer than ${MESSAGE_MAX_LENGTH} characters`,
      },
    });
    expect(await readdir(dir)).toEqual([]);
  });

  test.each([
    ['family emoji (8 UTF-16 units each)', '👨‍👩‍👧'],
    ['flags (4 UTF-16 units each)', '🇮🇪'],
    ['letters with combining accents', 'e\u0301'],
  ])('counts characters as a person sees them: %s', async (_, character) => {
    const book = new Guestbook(dir);

    const entry = await book.add(
      { name: character.repeat(NAME_MAX_LENGTH), message: character.repeat(MESSAGE_MAX_LENGTH) },
      WRITER,
    );
    const tooLong = book.add({ name: 'Ada', message: character.repeat(MESSAGE_MAX_LENGTH + 1) }, WRITER);

    expect(entry.message).toBe(character.repeat(MESSAGE_MAX_LENGTH));
    await expect(tooLong).rejects.toThrow(`message is longer than ${MESSAGE_MAX_LENGTH} characters`);
  });

  test('longerThan() agrees with counting every cluster, wherever the clusters meet the edges of its windows', () => {
    const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
    const pieces = ['👨‍👩‍👧', '🇮🇪', '🇮🇪🇺', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', 'e\u0301', '\u1100\u1161\u11A8', 'क्षि', 'a\n'];
    const disagreements = [];
    for (const piece of pieces) {
      for (let offset = 0; offset < 70; offset++) {
        const text = 'a'.repeat(offset) + piece.repeat(20);
        const count = [...segmenter.segment(text)].length;
        if (!longerThan(text, count - 1) || longerThan(text, count)) disagreements.push({ piece, offset });
      }
    }

    expect(disagreements).toEqual([]);
  });

  test('strips control characters, bidirectional overrides and unpaired surrogates; the message keeps its lines', async () => {
    const book = new Guestbook(dir);

    const entry = await book.add(
      { name: 'A\u0000d\u001ba\u202E', message: 'one\u0007\ntwo\u2066 \ud800three\u0085\ttab' },
      WRITER,
    );

    expect(entry).toMatchObject({ name: 'Ada', message: 'one\ntwo three tab' });
  });

  test('a name of control characters only is no name', async () => {
    await expect(
      new Guestbook(dir).add({ name: '\u0000\u202E\u001b', message: 'hi' }, WRITER),
    ).rejects.toThrow('name is required');
  });
});

describe('list()', () => {
  test('returns the newest entries first, even when added within one millisecond', async () => {
    const book = new Guestbook(dir, () => 0);
    for (const message of ['first', 'second', 'third']) await book.add({ name: 'Ada', message }, WRITER);

    expect((await book.list(2)).map((entry) => entry.message)).toEqual(['third', 'second']);
  });

  test('merges entries from other writers by time', async () => {
    const clock = clockAt('2026-11-22T10:00:00Z');
    const ec2 = new Guestbook(dir, clock.read);
    const fargate = new Guestbook(dir, clock.read);
    await ec2.add({ name: 'Ada', message: 'from EC2' }, WRITER);
    clock.now += 5;
    await fargate.add(
      { name: 'Grace', message: 'from Fargate' },
      { platform: 'ecs-fargate', replica: 'task-2' },
    );

    expect((await ec2.list(10)).map((entry) => entry.writtenBy.platform)).toEqual(['ecs-fargate', 'ecs-ec2']);
  });

  test('walks back through hours and days, newest first, until it has enough', async () => {
    const clock = clockAt('2026-11-21T22:30:00Z');
    const book = new Guestbook(dir, clock.read);
    for (const message of ['day 1, 22h', 'day 1, 23h', 'day 2, 00h', 'day 2, 01h']) {
      await book.add({ name: 'Ada', message }, WRITER);
      clock.now += 60 * MINUTE;
    }

    expect((await book.list(3)).map((entry) => entry.message)).toEqual([
      'day 2, 01h',
      'day 2, 00h',
      'day 1, 23h',
    ]);
  });

  test('lists the entry files earlier versions wrote into the top directory among the others, by time', async () => {
    const clock = clockAt('2026-11-22T10:00:00Z');
    const book = new Guestbook(dir, clock.read);
    await book.add({ name: 'Ada', message: 'older' }, WRITER);
    const legacy = {
      id: randomUUID(),
      name: 'Grace',
      message: 'written flat by an earlier version',
      createdAt: '2026-11-22T10:30:00.000Z',
      writtenBy: WRITER,
    };
    await writeFile(join(dir, `2026-11-22T10-30-00-000Z-${legacy.id}.json`), JSON.stringify(legacy));
    clock.now += 60 * MINUTE;
    await book.add({ name: 'Ada', message: 'newer' }, WRITER);

    expect((await book.list(10)).map((entry) => entry.message)).toEqual([
      'newer',
      'written flat by an earlier version',
      'older',
    ]);
  });

  test('skips temporary, foreign and unparseable files, and reads on to fill the page', async () => {
    const book = new Guestbook(dir, () => Date.parse('2026-11-22T10:15:00Z'));
    const older = await book.add({ name: 'Ada', message: 'older' }, WRITER);
    const newer = await book.add({ name: 'Ada', message: 'newer' }, WRITER);
    const hour = join(dir, '2026-11-22/10');
    await writeFile(join(hour, `2026-11-22T10-59-00-000Z-${randomUUID()}.json`), '{"half": ');
    await writeFile(join(hour, `.2026-11-22T10-59-00-000Z-${randomUUID()}.json.tmp`), '{}');
    await writeFile(join(hour, 'notes.json'), '{}');
    await mkdir(join(dir, 'lost+found'));

    expect((await book.list(2)).map((entry) => entry.id)).toEqual([newer.id, older.id]);
  });

  test('reads each entry file once: files never change after the rename, so copies stay right', async () => {
    const book = new Guestbook(dir);
    const entry = await book.add({ name: 'Ada', message: 'hi' }, WRITER);
    await book.list(10);
    const [path] = await files();
    await writeFile(join(dir, path), 'not read again');

    expect(await book.list(10)).toEqual([entry]);
  });

  test("lists a directory again only when its modification time changes: the listing's version", async () => {
    const book = new Guestbook(dir, () => Date.parse('2026-11-22T10:15:00Z'));
    await book.add({ name: 'Ada', message: 'first' }, WRITER);
    await settle();
    await book.list(10);
    const hour = join(dir, '2026-11-22/10');
    const { mtime } = await stat(hour);
    const sneaked = {
      id: randomUUID(),
      name: 'Eve',
      message: 'sneaked in',
      createdAt: '',
      writtenBy: WRITER,
    };
    await writeFile(join(hour, `2026-11-22T10-20-00-000Z-${sneaked.id}.json`), JSON.stringify(sneaked));
    await utimes(hour, mtime, mtime);

    const unchanged = await book.list(10);
    await utimes(hour, new Date(), new Date());
    const changed = await book.list(10);

    expect(unchanged.map((entry) => entry.message)).toEqual(['first']);
    expect(changed.map((entry) => entry.message)).toEqual(['sneaked in', 'first']);
  });

  test('never reuses a listing taken within a second of the change before it (racy timestamps)', async () => {
    const book = new Guestbook(dir, () => Date.parse('2026-11-22T10:15:00Z'));
    await book.add({ name: 'Ada', message: 'first' }, WRITER);
    const hour = join(dir, '2026-11-22/10');
    const justNow = new Date();
    await utimes(hour, justNow, justNow);
    await book.list(10);
    // a second writer in the same tick of the file system's clock: the directory's time does not move
    await new Guestbook(dir, () => Date.parse('2026-11-22T10:16:00Z')).add(
      { name: 'Bo', message: 'second' },
      WRITER,
    );
    await utimes(hour, justNow, justNow);

    expect((await book.list(10)).map((entry) => entry.message)).toEqual(['second', 'first']);
  });

  test('forgets entries pruned by another replica', async () => {
    const book = new Guestbook(dir, () => 0);
    await book.add({ name: 'Ada', message: 'old' }, WRITER);
    await book.list(10);

    await new Guestbook(dir).prune(new Date(DAY));

    expect(await book.list(10)).toEqual([]);
  });

  test('costs the same at 5,000 entries as at 50: no directory listed, no file read again while nothing changed', async () => {
    const io = async (count: number) => {
      const volume = await mkdtemp(join(tmpdir(), 'guestbook-'));
      try {
        await fillVolume(volume, count);
        const book = new Guestbook(volume);
        const calls = async (step: () => Promise<unknown>) => {
          const names = ['stat', 'readdir', 'readFile'] as const;
          const spies = names.map((name) => jest.spyOn(fsPromises, name));
          await step();
          const counted = Object.fromEntries(names.map((name, i) => [name, spies[i].mock.calls.length]));
          jest.restoreAllMocks();
          return counted;
        };
        return {
          first: await calls(() => book.list(20)),
          again: await calls(() => book.list(20)),
          afterOneMore: await calls(async () => {
            const writer = new Guestbook(volume, () => Date.parse(NEWEST) + 10_000);
            await writer.add({ name: 'Bo', message: 'one more' }, WRITER);
            await book.list(20);
          }),
        };
      } finally {
        await rm(volume, { recursive: true, force: true });
      }
    };

    const [fifty, fiveThousand] = [await io(50), await io(5_000)];

    expect(fiveThousand).toEqual(fifty);
    expect(fifty.again).toEqual({ stat: 3, readdir: 0, readFile: 0 });
  }, 20_000);
});

const NEWEST = '2026-11-22T10:59:00Z';

/**
 * `count` entries a minute apart, the newest at NEWEST: 50 fill one hour, 5,000 three and a half
 * days. Hard links to one entry file: ten times quicker to make than files, and the store sees only
 * names until it reads the newest 20. Every directory settled, as on a volume in use.
 */
async function fillVolume(volume: string, count: number): Promise<void> {
  const oldest = Date.parse(NEWEST) - (count - 1) * MINUTE;
  await new Guestbook(volume, () => oldest).add({ name: 'Ada', message: 'hello' }, WRITER);
  const [source] = await files(volume);
  const stamps = Array.from({ length: count - 1 }, (_, i) =>
    new Date(oldest + (i + 1) * MINUTE).toISOString().replace(/[:.]/g, '-'),
  );
  const hour = (stamp: string) => join(volume, stamp.slice(0, 10), stamp.slice(11, 13));
  await Promise.all([...new Set(stamps.map(hour))].map((path) => mkdir(path, { recursive: true })));
  for (let start = 0; start < stamps.length; start += 250) {
    const batch = stamps.slice(start, start + 250);
    await Promise.all(
      batch.map((stamp) => link(join(volume, source), join(hour(stamp), `${stamp}-${randomUUID()}.json`))),
    );
  }
  await settle(volume);
}

describe('prune()', () => {
  test('deletes entries and abandoned temporary files older than the cutoff, then their emptied directories', async () => {
    const clock = clockAt('2026-11-01T00:30:00Z');
    const book = new Guestbook(dir, clock.read);
    await book.add({ name: 'Ada', message: 'old' }, WRITER);
    await writeFile(join(dir, '2026-11-01/00', `.2026-11-01T00-30-00-000Z-${randomUUID()}.json.tmp`), '');
    clock.now += 10 * DAY;
    await book.add({ name: 'Ada', message: 'just before the cutoff' }, WRITER);
    clock.now += 10 * MINUTE;
    const recent = await book.add({ name: 'Ada', message: 'recent' }, WRITER);
    await writeFile(join(dir, 'README'), 'not ours');

    const deleted = await book.prune(new Date(clock.now - 5 * MINUTE));

    expect(deleted).toBe(2);
    expect((await files()).sort()).toEqual([
      `2026-11-11/00/2026-11-11T00-40-00-000Z-${recent.id}.json`,
      'README',
    ]);
    expect(await book.list(10)).toEqual([recent]);
  });

  test('deletes old entry files that earlier versions wrote into the top directory', async () => {
    const id = randomUUID();
    await writeFile(join(dir, `2026-11-01T00-00-00-000Z-${id}.json`), '{}');

    expect(await new Guestbook(dir).prune(new Date('2026-11-02T00:00:00Z'))).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  test('keeps a directory that still holds files it does not know', async () => {
    const book = new Guestbook(dir, () => Date.parse('2026-11-01T00:00:00Z'));
    await book.add({ name: 'Ada', message: 'old' }, WRITER);
    await writeFile(join(dir, '2026-11-01/00/notes.txt'), 'not ours');

    expect(await book.prune(new Date('2026-11-02T00:00:00Z'))).toBe(1);
    expect(await files()).toEqual(['2026-11-01/00/notes.txt']);
  });

  test('run by two replicas at once deletes each entry once', async () => {
    const book = new Guestbook(dir, () => 0);
    for (let i = 0; i < 10; i++) await book.add({ name: 'Ada', message: `entry ${i}` }, WRITER);

    const removed = await Promise.all([book.prune(new Date(DAY)), new Guestbook(dir).prune(new Date(DAY))]);

    expect(removed[0] + removed[1]).toBe(10);
    expect(await readdir(dir)).toEqual([]);
  });
});

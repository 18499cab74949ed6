// The file-per-entry store on a local temporary directory.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guestbook, InvalidEntryError } from '../../app/src/guestbook';

const WRITER = { platform: 'ecs-ec2', replica: 'task-1' };
const DAY = 24 * 60 * 60 * 1000;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'guestbook-'));
});

afterEach(() => rm(dir, { recursive: true, force: true }));

test('add() writes one file per entry and leaves no temporary file', async () => {
  const book = new Guestbook(dir, () => Date.parse('2026-11-22T10:15:30.123Z'));

  const entry = await book.add({ name: ' Ada ', message: 'line one\r\nline two' }, WRITER);

  expect(entry).toMatchObject({ name: 'Ada', message: 'line one\nline two', writtenBy: WRITER });
  expect(await readdir(dir)).toEqual([`2026-11-22T10-15-30-123Z-${entry.id}.json`]);
});

test('add() rejects what a person can fix and writes nothing', async () => {
  const book = new Guestbook(dir);

  await expect(book.add({ name: 'Ada', message: ' \n ' }, WRITER)).rejects.toThrow(InvalidEntryError);
  expect(await readdir(dir)).toEqual([]);
});

test('list() returns the newest entries first, even when added within one millisecond', async () => {
  const book = new Guestbook(dir, () => 0);
  for (const message of ['first', 'second', 'third']) await book.add({ name: 'Ada', message }, WRITER);

  expect((await book.list(2)).map((entry) => entry.message)).toEqual(['third', 'second']);
});

test('list() merges entries from other writers by time', async () => {
  let now = 1000;
  const clock = () => now;
  const ec2 = new Guestbook(dir, clock);
  const fargate = new Guestbook(dir, clock);
  await ec2.add({ name: 'Ada', message: 'from EC2' }, WRITER);
  now += 5;
  await fargate.add(
    { name: 'Grace', message: 'from Fargate' },
    { platform: 'ecs-fargate', replica: 'task-2' },
  );

  expect((await ec2.list(10)).map((entry) => entry.writtenBy.platform)).toEqual(['ecs-fargate', 'ecs-ec2']);
});

test('list() skips temporary, foreign and unparseable files, and reads on to fill the page', async () => {
  const book = new Guestbook(dir);
  const older = await book.add({ name: 'Ada', message: 'older' }, WRITER);
  const newer = await book.add({ name: 'Ada', message: 'newer' }, WRITER);
  const corrupt = `2099-01-01T00-00-00-000Z-${older.id.replace(/.$/, '0')}.json`;
  await writeFile(join(dir, corrupt), '{"half": ');
  await writeFile(join(dir, `.2099-01-01T00-00-00-000Z-${older.id}.json.tmp`), '{}');
  await writeFile(join(dir, 'notes.json'), '{}');

  expect((await book.list(2)).map((entry) => entry.id)).toEqual([newer.id, older.id]);
});

test('list() reads each entry file once: files never change after the rename, so copies stay right', async () => {
  const book = new Guestbook(dir);
  const entry = await book.add({ name: 'Ada', message: 'hi' }, WRITER);
  await book.list(10);
  const [name] = await readdir(dir);
  await writeFile(join(dir, name), 'not read again');

  expect(await book.list(10)).toEqual([entry]);
});

test('list() forgets entries pruned by another replica', async () => {
  const book = new Guestbook(dir, () => 0);
  await book.add({ name: 'Ada', message: 'old' }, WRITER);
  await book.list(10);

  await new Guestbook(dir).prune(new Date(DAY));

  expect(await book.list(10)).toEqual([]);
});

test('prune() deletes entries and abandoned temporary files older than the cutoff', async () => {
  let now = Date.parse('2026-11-01T00:00:00Z');
  const book = new Guestbook(dir, () => now);
  await book.add({ name: 'Ada', message: 'old' }, WRITER);
  await writeFile(
    join(dir, `.${new Date(now).toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.json.tmp`),
    '',
  );
  now += 10 * DAY;
  const recent = await book.add({ name: 'Ada', message: 'recent' }, WRITER);
  await writeFile(join(dir, 'README'), 'not ours');

  const removed = await book.prune(new Date(now - DAY));

  expect(removed).toBe(1);
  expect((await readdir(dir)).sort()).toEqual([expect.stringContaining(recent.id), 'README']);
  expect(await book.list(10)).toEqual([recent]);
});

test('prune() run by two replicas at once deletes each entry once', async () => {
  const book = new Guestbook(dir, () => 0);
  for (let i = 0; i < 10; i++) await book.add({ name: 'Ada', message: `entry ${i}` }, WRITER);

  const removed = await Promise.all([book.prune(new Date(DAY)), new Guestbook(dir).prune(new Date(DAY))]);

  expect(removed[0] + removed[1]).toBe(10);
  expect(await readdir(dir)).toEqual([]);
});

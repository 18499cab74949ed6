// The scheduled prune task, as the bundled command the task definition runs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guestbook } from '../../app/src/guestbook';
import { BUILD_TIMEOUT_MS, buildApp, runCommand } from './support/app-process';

const WRITER = { platform: 'ecs-fargate', replica: 'task-1' };
const DAY_MS = 24 * 60 * 60 * 1000;

let app: Awaited<ReturnType<typeof buildApp>>;
let volume: string;

beforeAll(async () => {
  app = await buildApp();
}, BUILD_TIMEOUT_MS);

afterAll(() => app.remove());

beforeEach(async () => {
  volume = await mkdtemp(join(tmpdir(), 'guestbook-'));
});

afterEach(() => rm(volume, { recursive: true, force: true }));

async function addEntry(name: string, ageDays: number) {
  const writtenAt = Date.now() - ageDays * DAY_MS;
  await new Guestbook(volume, () => writtenAt).add({ name, message: `${ageDays} days old` }, WRITER);
}

test('deletes the entries older than MAX_AGE_DAYS, keeps the rest, logs how many, exits 0', async () => {
  await addEntry('Ada', 400);
  await addEntry('Grace', 31);
  await addEntry('Linus', 29);
  await addEntry('Margaret', 0);

  const { code, logs } = await runCommand(app.main, 'prune', { GUESTBOOK_DIR: volume, MAX_AGE_DAYS: '30' });

  expect(code).toBe(0);
  expect(logs).toEqual([
    expect.objectContaining({ level: 'info', msg: 'pruned', maxAgeDays: 30, deleted: 2 }),
  ]);
  expect((await new Guestbook(volume).list(10)).map((entry) => entry.name)).toEqual(['Margaret', 'Linus']);
});

test.each([
  [{ GUESTBOOK_DIR: '' }, 'prune: GUESTBOOK_DIR is required'],
  [
    { GUESTBOOK_DIR: '/nonexistent' },
    'prune: GUESTBOOK_DIR must name an existing directory, got "/nonexistent"',
  ],
  [{ MAX_AGE_DAYS: '0' }, 'prune: MAX_AGE_DAYS must be an integer from 1 to 36500, got "0"'],
])('refuses %o with a message and exit 1, deleting nothing', async (env, message) => {
  await addEntry('Ada', 400);

  const { code, stderr } = await runCommand(app.main, 'prune', { GUESTBOOK_DIR: volume, ...env });

  expect(code).toBe(1);
  expect(stderr).toBe(`${message}\n`);
  expect(await new Guestbook(volume).list(10)).toHaveLength(1);
});

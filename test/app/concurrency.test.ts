// Several replicas writing to one guestbook directory at once, the way tasks share an EFS volume: two
// servers (the bundled app) on one directory, and four client processes posting to both at once. Every
// entry must arrive, whole, with no temporary file left behind.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Guestbook } from '../../app/src/guestbook';
import { BUILD_TIMEOUT_MS, buildApp, startAppProcess, type AppProcess } from './support/app-process';

const CLIENTS = 4;
const POSTS_PER_CLIENT = 250;

let app: Awaited<ReturnType<typeof buildApp>> | undefined;
let volume: string;
const servers: AppProcess[] = [];

beforeAll(async () => {
  app = await buildApp();
  volume = await mkdtemp(join(tmpdir(), 'guestbook-concurrency-'));
  const env = { GUESTBOOK_DIR: volume, SHUTDOWN_DRAIN_MS: '0' };
  for (let i = 0; i < 2; i++) servers.push(await startAppProcess(app.main, env));
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const server of servers) server.child.kill('SIGKILL');
  await Promise.all([app?.remove(), volume && rm(volume, { recursive: true, force: true })]);
});

/** A client process; resolves with the status of each of its posts. */
async function startClient(writer: string) {
  const child = spawn(
    process.execPath,
    [
      join(__dirname, 'fixtures/post-entries.mjs'),
      writer,
      String(POSTS_PER_CLIENT),
      ...servers.map((s) => String(s.port)),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const [ready] = await once(lines, 'line');
  expect(ready).toBe('ready');
  const statuses = once(lines, 'line').then(([line]) => JSON.parse(line as string) as (number | string)[]);
  return { go: () => child.stdin.write('go\n'), statuses };
}

test(`${CLIENTS} clients x ${POSTS_PER_CLIENT} concurrent posts through two servers on one directory: nothing lost, nothing partial`, async () => {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => startClient(`client-${i}`)));

  for (const client of clients) client.go();
  const statuses = (await Promise.all(clients.map((client) => client.statuses))).flat();

  const total = CLIENTS * POSTS_PER_CLIENT;
  expect(statuses).toEqual(Array(total).fill(201));
  const files = (await readdir(volume, { withFileTypes: true, recursive: true })).filter((f) => f.isFile());
  expect(files.filter((file) => !/^\d{4}-.*\.json$/.test(file.name))).toEqual([]);
  const parsed = await Promise.all(
    files.map(
      async (file) => JSON.parse(await readFile(join(file.parentPath, file.name), 'utf8')) as unknown,
    ),
  );
  expect(parsed).toHaveLength(total);
  const entries = await new Guestbook(volume).list(Infinity);
  expect(new Set(entries.map((entry) => entry.id)).size).toBe(total);
  for (let i = 0; i < CLIENTS; i++) {
    const messages = entries.filter((entry) => entry.name === `client-${i}`).map((entry) => entry.message);
    expect(messages.sort()).toEqual(Array.from({ length: POSTS_PER_CLIENT }, (_, n) => `entry ${n}`).sort());
  }
  // both servers wrote: each logs one line per request
  for (const server of servers) {
    expect(
      server.logs.filter((line) => line.msg === 'request' && line.status === 201).length,
    ).toBeGreaterThan(0);
  }
}, 30_000);

// Several processes writing to one guestbook directory at once, the way tasks share an EFS volume:
// every entry must arrive, whole, with no temporary file left behind.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Guestbook } from '../../app/src/guestbook';

const WRITERS = 4;
const ENTRIES_PER_WRITER = 50;

let work: string;
let script: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'guestbook-concurrency-'));
  script = join(work, 'write-entries.js');
  // Child processes run plain node, not ts-jest: bundle the TypeScript writer first (tens of milliseconds).
  await build({
    entryPoints: [join(__dirname, 'fixtures/write-entries.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
  });
});

afterAll(() => rm(work, { recursive: true, force: true }));

test(`${WRITERS} processes adding ${ENTRIES_PER_WRITER} entries each at the same time lose nothing`, async () => {
  const dir = await mkdtemp(join(work, 'volume-'));
  const writers = Array.from({ length: WRITERS }, (_, i) =>
    spawn(process.execPath, [script, dir, `writer-${i}`, String(ENTRIES_PER_WRITER)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  await Promise.all(writers.map((writer) => once(writer.stdout, 'data')));

  for (const writer of writers) writer.stdin.write('go\n');
  const exitCodes = await Promise.all(writers.map(async (writer) => (await once(writer, 'exit'))[0]));

  expect(exitCodes).toEqual(Array(WRITERS).fill(0));
  const files = await readdir(dir);
  expect(files).toHaveLength(WRITERS * ENTRIES_PER_WRITER);
  expect(files.filter((name) => !name.endsWith('.json'))).toEqual([]);
  const entries = await new Guestbook(dir).list(Infinity);
  expect(entries).toHaveLength(WRITERS * ENTRIES_PER_WRITER);
  expect(new Set(entries.map((entry) => entry.id)).size).toBe(WRITERS * ENTRIES_PER_WRITER);
  for (let i = 0; i < WRITERS; i++) {
    const messages = entries.filter((entry) => entry.name === `writer-${i}`).map((entry) => entry.message);
    expect(messages.sort()).toEqual(
      Array.from({ length: ENTRIES_PER_WRITER }, (_, n) => `entry ${n}`).sort(),
    );
  }
});

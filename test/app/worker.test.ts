// The SQS queue worker: success, poison messages, and stopping mid-batch. The real SDK v3 client talks to
// a fake queue on loopback (support/fake-sqs.ts: no SQS-compatible server is installed here).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Guestbook } from '../../app/src/guestbook';
import type { Log, LogLevel } from '../../app/src/log';
import { addToGuestbook, runWorker, type QueueMessage } from '../../app/src/worker';
import { BUILD_TIMEOUT_MS, buildApp, runCommand, startCommand } from './support/app-process';
import { FakeQueue } from './support/fake-sqs';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'eu-west-1' };
const WRITER = { platform: 'local', replica: 'worker-test' };
const entry = (name: string) => JSON.stringify({ name, message: `hello from ${name}` });

let queue: FakeQueue;
const started: FakeQueue[] = [];
let volume: string;

beforeEach(async () => {
  volume = await mkdtemp(join(tmpdir(), 'guestbook-'));
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.close()));
  await rm(volume, { recursive: true, force: true });
});

async function startQueue(options = { visibilityTimeoutMs: 60_000, maxReceiveCount: 3 }) {
  queue = new FakeQueue(options);
  started.push(queue);
  await queue.start();
}

/** runWorker in this process, with log lines collected; `stop()` aborts it like SIGTERM does. */
function startWorker(handle: (message: QueueMessage) => Promise<void>) {
  const sqs = new SQSClient({
    endpoint: queue.endpoint,
    region: CREDENTIALS.AWS_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const logs: { level: LogLevel; msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Log = (level, msg, fields) => logs.push({ level, msg, fields });
  const stopping = new AbortController();
  const done = runWorker({
    sqs,
    queueUrl: queue.url,
    handle,
    stop: stopping.signal,
    log,
    waitTimeSeconds: 1,
  });
  return {
    logs,
    async stop() {
      stopping.abort();
      await done;
      sqs.destroy();
    },
  };
}

test('a message carrying an entry is added to the guestbook, then deleted from the queue', async () => {
  await startQueue();
  const worker = startWorker(addToGuestbook(new Guestbook(volume), WRITER));

  queue.send(entry('Ada'));
  await queue.waitFor(() => queue.deleted.length === 1);
  await worker.stop();

  const [written] = await new Guestbook(volume).list(10);
  expect(written).toMatchObject({ name: 'Ada', message: 'hello from Ada', writtenBy: WRITER });
  expect(queue.deleted).toEqual([entry('Ada')]);
  expect([...queue.visible(), ...queue.inFlight(), ...queue.deadLetters]).toEqual([]);
});

test('a poison message is never deleted: after maxReceiveCount tries it is in the dead-letter queue, and it blocks nothing', async () => {
  // visibility timeout 0: a failed message is visible again at once, so the retries take milliseconds
  await startQueue({ visibilityTimeoutMs: 0, maxReceiveCount: 3 });
  const worker = startWorker(addToGuestbook(new Guestbook(volume), WRITER));

  queue.send('not json');
  queue.send(entry('Grace'));
  await queue.waitFor(() => queue.deadLetters.length === 1 && queue.deleted.length === 1);
  await worker.stop();

  expect(queue.deadLetters).toEqual(['not json']);
  expect(queue.deleted).toEqual([entry('Grace')]);
  expect(worker.logs.filter((line) => line.level === 'warn')).toEqual(
    [1, 2, 3].map((receiveCount) =>
      expect.objectContaining({
        fields: expect.objectContaining({ receiveCount, error: 'the body is not JSON' }),
      }),
    ),
  );
  expect((await readdir(volume)).length).toBe(1);
});

test.each([
  ['{"name": "Ada"}', 'the body must be {"name": "...", "message": "..."}'],
  [JSON.stringify({ name: 'Ada', message: '' }), 'message is required'],
])('an entry the guestbook refuses (%s) is a poison message too', async (body, error) => {
  await startQueue({ visibilityTimeoutMs: 0, maxReceiveCount: 1 });
  const worker = startWorker(addToGuestbook(new Guestbook(volume), WRITER));

  queue.send(body);
  await queue.waitFor(() => queue.deadLetters.length === 1);
  await worker.stop();

  expect(worker.logs).toContainEqual(expect.objectContaining({ fields: expect.objectContaining({ error }) }));
  expect(queue.deleted).toEqual([]);
});

test('stopped mid-batch: the message at hand is finished and deleted, the rest handed back, no new receive', async () => {
  await startQueue();
  let entered!: () => void;
  const handling = new Promise<void>((resolve) => (entered = resolve));
  let finish!: () => void;
  const finishing = new Promise<void>((resolve) => (finish = resolve));
  const handled: string[] = [];
  const worker = startWorker(async ({ body }) => {
    entered();
    await finishing;
    handled.push(body);
  });
  for (const name of ['Ada', 'Grace', 'Linus']) queue.send(entry(name));

  await handling;
  const stopped = worker.stop();
  finish();
  await stopped;

  expect(handled).toEqual([entry('Ada')]);
  expect(queue.deleted).toEqual([entry('Ada')]);
  // visible again at once, not after the 60 s visibility timeout: another task takes them now
  expect(queue.visible()).toEqual([entry('Grace'), entry('Linus')]);
  expect(queue.inFlight()).toEqual([]);
  expect(queue.receiveRequests).toBe(1);
  expect(worker.logs).toContainEqual(
    expect.objectContaining({ msg: 'handed unprocessed messages back to the queue', fields: { count: 2 } }),
  );
});

describe('the bundled worker command', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    app = await buildApp();
  }, BUILD_TIMEOUT_MS);

  afterAll(() => app.remove());

  test('adds entries from the queue until SIGTERM, then stops cleanly with nothing in flight', async () => {
    await startQueue();
    const worker = startCommand(app.main, 'worker', {
      ...CREDENTIALS,
      AWS_ENDPOINT_URL_SQS: queue.endpoint,
      QUEUE_URL: queue.url,
      GUESTBOOK_DIR: volume,
      // the SDK warns on Node 20 that its 2027 releases need Node 22; the image runs Node 24
      NODE_NO_WARNINGS: '1',
    });
    queue.send(entry('Ada'));
    await worker.waitForLog('message processed');

    // now waiting in a 20-second long poll: SIGTERM ends it at once
    worker.child.kill('SIGTERM');

    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.logs.map((line) => line.msg)).toEqual([
      'worker started',
      'message processed',
      'stopping: finishing the message at hand',
      'stopped',
    ]);
    expect(await readdir(volume)).toHaveLength(1);
    expect([...queue.visible(), ...queue.inFlight()]).toEqual([]);
  });

  test.each([
    [{ GUESTBOOK_DIR: '/nonexistent' }, 'worker: QUEUE_URL is required'],
    [{ QUEUE_URL: 'http://127.0.0.1:9/q' }, 'worker: GUESTBOOK_DIR is required'],
    [
      { QUEUE_URL: 'http://127.0.0.1:9/q', GUESTBOOK_DIR: '/nonexistent' },
      'worker: GUESTBOOK_DIR must name an existing directory, got "/nonexistent"',
    ],
  ])('refuses to start without its settings: %o', async (env, message) => {
    const { code, logs, stderr } = await runCommand(app.main, 'worker', { ...CREDENTIALS, ...env });

    expect(code).toBe(1);
    expect(stderr).toBe(`${message}\n`);
    expect(logs).toEqual([]);
  });
});

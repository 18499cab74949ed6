// The S3-triggered job against a real S3-compatible server (s3rver) on loopback: the summary it writes,
// and the bad input it refuses without losing anything.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import {
  InvalidObjectError,
  readSummarizeSettings,
  summarizeObject,
  type SummarizeSettings,
} from '../../app/src/summarize-object';
import { buildApp, runCommand } from './support/app-process';

const BUCKET = 'uploads';
// s3rver checks signatures against these credentials
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'eu-west-1' };
const PREFIXES = { inputPrefix: 'incoming/', resultsPrefix: 'results/' };

let storage: string;
let server: S3rver;
let endpoint: string;
let s3: S3Client;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  storage = await mkdtemp(join(tmpdir(), 's3rver-'));
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: storage,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  // Path-style (http://host/bucket/key): a loopback server has no per-bucket host names.
  s3 = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: CREDENTIALS.AWS_REGION,
    credentials: {
      accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  });
  app = await buildApp();
});

afterAll(async () => {
  s3.destroy();
  await server.close();
  await Promise.all([rm(storage, { recursive: true, force: true }), app.remove()]);
});

function upload(key: string, body: string | Uint8Array, contentType = 'text/plain; charset=utf-8') {
  return s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: contentType }));
}

async function download(key: string): Promise<Buffer | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

const settings = (key: string, maxBytes = 1024 * 1024): SummarizeSettings => ({
  bucket: BUCKET,
  key,
  maxBytes,
  ...PREFIXES,
});

test('writes a JSON summary under the results prefix, and leaves the object as it was', async () => {
  const text = 'Hello, world\nzweite Zeile: Grüße\n';
  await upload('incoming/notes/hello.txt', text);

  const { resultKey } = await summarizeObject(s3, settings('incoming/notes/hello.txt'), () => new Date(0));

  expect(resultKey).toBe('results/notes/hello.txt.json');
  expect(JSON.parse(String(await download(resultKey)))).toEqual({
    bucket: BUCKET,
    key: 'incoming/notes/hello.txt',
    bytes: Buffer.byteLength(text),
    lines: 2,
    words: 5,
    characters: [...text].length,
    sha256: createHash('sha256').update(text).digest('hex'),
    contentType: 'text/plain; charset=utf-8',
    summarizedAt: '1970-01-01T00:00:00.000Z',
  });
  expect(String(await download('incoming/notes/hello.txt'))).toBe(text);
});

test('counts text that arrives in many pieces, multi-byte characters split between them', async () => {
  // ~280 KB of two-byte characters: the response arrives in many chunks, cut wherever the network cuts
  const line = 'ünï cødé ßü\n';
  const count = 20_000;
  await upload('incoming/long.txt', line.repeat(count));

  const { summary } = await summarizeObject(s3, settings('incoming/long.txt'));

  expect(summary).toMatchObject({
    bytes: Buffer.byteLength(line) * count,
    lines: count,
    words: 3 * count,
    characters: [...line].length * count,
  });
});

test('an empty object is summarized as zero of everything', async () => {
  await upload('incoming/empty.txt', Buffer.alloc(0));

  const { summary } = await summarizeObject(s3, settings('incoming/empty.txt'));

  expect(summary).toMatchObject({ bytes: 0, lines: 0, words: 0, characters: 0 });
});

describe('bad input: a clear error, no result, and the object untouched', () => {
  test.each([
    ['a missing key', 'incoming/missing.txt', undefined, 1024, 'does not exist'],
    [
      'bytes that are not UTF-8',
      'incoming/latin1.txt',
      Buffer.from('Gr\xfc\xdfe', 'latin1'),
      1024,
      'is not UTF-8 text',
    ],
    [
      'UTF-8 cut off inside a character',
      'incoming/cut.txt',
      Buffer.from('café').subarray(0, 4),
      1024,
      'is not UTF-8 text',
    ],
    [
      'an object over the size limit',
      'incoming/big.txt',
      Buffer.from('eleven byte'),
      10,
      'is 11 bytes, over the limit of 10 bytes (MAX_OBJECT_BYTES)',
    ],
  ])('%s', async (_, key, body, maxBytes, problem) => {
    if (body) await upload(key, body);

    const run = summarizeObject(s3, settings(key, maxBytes));

    await expect(run).rejects.toThrow(InvalidObjectError);
    await expect(run).rejects.toThrow(`s3://${BUCKET}/${key} ${problem}`);
    expect(await download(`results/${key.slice('incoming/'.length)}.json`)).toBeUndefined();
    expect(await download(key)).toEqual(body);
  });
});

test('a 403 is reported as what it means without s3:ListBucket: missing, or not readable', async () => {
  // A client double: s3rver checks signatures, not IAM, so it never answers AccessDenied
  const denied = {
    send: async () => {
      throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    },
  } as unknown as S3Client;

  await expect(summarizeObject(denied, settings('incoming/secret.txt'))).rejects.toThrow(
    new InvalidObjectError(
      `s3://${BUCKET}/incoming/secret.txt does not exist, or the task role may not read it`,
    ),
  );
});

test.each([
  [{ KEY: 'incoming/a.txt' }, 'BUCKET is required'],
  [
    { BUCKET, KEY: 'results/a.txt.json' },
    'KEY must start with INPUT_PREFIX "incoming/", got "results/a.txt.json"',
  ],
  [{ BUCKET, KEY: 'incoming/a.txt', MAX_OBJECT_BYTES: 'lots' }, 'MAX_OBJECT_BYTES must be an integer'],
])('settings %o are refused: %s', (env, message) => {
  expect(() => readSummarizeSettings(env)).toThrow(message);
});

describe('the bundled summarize-object command, as the task runs it', () => {
  // BUCKET and KEY come from the EventBridge target's container overrides, the rest from the task definition.
  const taskEnvironment = (key: string) => ({
    ...CREDENTIALS,
    AWS_ENDPOINT_URL_S3: endpoint,
    BUCKET,
    KEY: key,
    INPUT_PREFIX: PREFIXES.inputPrefix,
    RESULTS_PREFIX: PREFIXES.resultsPrefix,
    MAX_OBJECT_BYTES: '1024',
    // the SDK warns on Node 20 that its 2027 releases need Node 22; the image runs Node 24
    NODE_NO_WARNINGS: '1',
  });

  test('summarizes the object, logs where the result went, exits 0', async () => {
    await upload('incoming/report.csv', 'a,b\n1,2\n', 'text/csv');

    const { code, logs, stderr } = await runCommand(
      app.main,
      'summarize-object',
      taskEnvironment('incoming/report.csv'),
    );

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(logs).toEqual([
      { level: 'info', msg: 'summarizing', bucket: BUCKET, key: 'incoming/report.csv' },
      expect.objectContaining({
        msg: 'summarized',
        resultKey: 'results/report.csv.json',
        bytes: 8,
        lines: 2,
      }),
    ]);
    expect(JSON.parse(String(await download('results/report.csv.json')))).toMatchObject({
      contentType: 'text/csv',
    });
  });

  test('bad input: the error on stderr without a stack trace, exit 1, nothing written', async () => {
    await upload('incoming/photo.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg');

    const { code, stderr } = await runCommand(
      app.main,
      'summarize-object',
      taskEnvironment('incoming/photo.jpg'),
    );

    expect(code).toBe(1);
    expect(stderr).toBe(`summarize-object: s3://${BUCKET}/incoming/photo.jpg is not UTF-8 text\n`);
    expect(await download('results/photo.jpg.json')).toBeUndefined();
  });
});

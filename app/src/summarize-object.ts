// `summarize-object`: the task an S3 upload starts (concept: "ECS tasks invoked by EventBridge"). For each
// object created under the input prefix, EventBridge runs one Fargate task and hands it the bucket and
// key as environment overrides. The task reads the object and writes a small JSON summary of it under
// the results prefix, outside the input prefix, so a result never starts another task.
//
// Nothing is lost on bad input: the job never changes or deletes the object it reads, and writes a
// result only after reading and checking the whole object, so a failed run leaves the bucket as it was
// and can simply run again. Missing, oversized and non-UTF-8 objects end the task with a message that
// says so and a non-zero exit code, which the stopped-task alert reports.
//
// A bundle of its own (app/build.mjs): only this command loads the S3 client.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfigError, integer, required } from './config';
import { logToStdout as log } from './log';

export interface SummarizeSettings {
  bucket: string;
  key: string;
  /** Where uploads arrive: the key must start with it. */
  inputPrefix: string;
  /** Where summaries go: `<resultsPrefix><key after inputPrefix>.json`. */
  resultsPrefix: string;
  /** Larger objects are refused before their body is read. */
  maxBytes: number;
}

export interface ObjectSummary {
  bucket: string;
  key: string;
  bytes: number;
  lines: number;
  words: number;
  /** Unicode code points. */
  characters: number;
  sha256: string;
  contentType: string | null;
  summarizedAt: string;
}

/** An object the job cannot summarize: missing, too large, or not UTF-8 text. */
export class InvalidObjectError extends Error {
  // main.ts matches it by name: this bundle carries its own copy of the class
  override readonly name = 'InvalidObjectError';
}

export function readSummarizeSettings(env: NodeJS.ProcessEnv): SummarizeSettings {
  const settings: SummarizeSettings = {
    bucket: required(env, 'BUCKET'),
    key: required(env, 'KEY'),
    inputPrefix: env.INPUT_PREFIX || 'incoming/',
    resultsPrefix: env.RESULTS_PREFIX || 'results/',
    maxBytes: integer(env, 'MAX_OBJECT_BYTES', 10 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
  };
  if (!settings.key.startsWith(settings.inputPrefix)) {
    throw new ConfigError(
      `KEY must start with INPUT_PREFIX "${settings.inputPrefix}", got "${settings.key}"`,
    );
  }
  return settings;
}

/** Reads the object, checks it, and writes its summary. Returns where the summary went. */
export async function summarizeObject(
  s3: S3Client,
  settings: SummarizeSettings,
  now: () => Date = () => new Date(),
): Promise<{ resultKey: string; summary: ObjectSummary }> {
  const { bucket, key, maxBytes } = settings;
  const where = `s3://${bucket}/${key}`;
  let object;
  try {
    object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (error instanceof NoSuchKey) throw new InvalidObjectError(`${where} does not exist`);
    // The task role may read objects, not list the bucket: then S3 answers a missing key with 403, as
    // it answers a key outside the role's prefix.
    if ((error as Error).name === 'AccessDenied') {
      throw new InvalidObjectError(`${where} does not exist, or the task role may not read it`);
    }
    throw error;
  }
  // In Node the SDK hands over the HTTP response itself: a stream not read yet.
  const body = object.Body as Readable;
  if (object.ContentLength !== undefined && object.ContentLength > maxBytes) {
    body.destroy();
    throw new InvalidObjectError(tooLarge(where, `is ${object.ContentLength} bytes`, maxBytes));
  }
  const content = await readText(body, where, maxBytes);

  const summary: ObjectSummary = {
    bucket,
    key,
    ...content,
    contentType: object.ContentType ?? null,
    summarizedAt: now().toISOString(),
  };
  const resultKey = `${settings.resultsPrefix}${key.slice(settings.inputPrefix.length)}.json`;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: resultKey,
      Body: `${JSON.stringify(summary, null, 2)}\n`,
      ContentType: 'application/json',
    }),
  );
  return { resultKey, summary };
}

function tooLarge(where: string, size: string, maxBytes: number): string {
  return `${where} ${size}, over the limit of ${maxBytes} bytes (MAX_OBJECT_BYTES)`;
}

/**
 * Streams the body once: hashes the bytes and decodes them as UTF-8 on the way, so memory stays flat
 * however large the limit. `fatal` makes the decoder reject invalid bytes instead of replacing them.
 */
async function readText(
  body: AsyncIterable<Uint8Array>,
  where: string,
  maxBytes: number,
): Promise<Pick<ObjectSummary, 'bytes' | 'lines' | 'words' | 'characters' | 'sha256'>> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const hash = createHash('sha256');
  const counter = new TextCounter();
  let bytes = 0;
  try {
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      // Content-Length said it fits; count anyway, in case an object arrives without one.
      if (bytes > maxBytes)
        throw new InvalidObjectError(tooLarge(where, `has more than ${maxBytes} bytes`, maxBytes));
      hash.update(chunk);
      counter.add(decoder.decode(chunk, { stream: true }));
    }
    // The end of the stream: an incomplete multi-byte sequence left over is invalid too.
    counter.add(decoder.decode());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw new InvalidObjectError(`${where} is not UTF-8 text`);
    }
    throw error;
  }
  return { bytes, ...counter.totals(), sha256: hash.digest('hex') };
}

/** Lines, words (runs of non-space) and characters of text that arrives in pieces. */
class TextCounter {
  private lines = 0;
  private words = 0;
  private characters = 0;
  private inWord = false;
  private endsWithNewline = false;

  add(text: string): void {
    for (const character of text) {
      this.characters++;
      if (character === '\n') this.lines++;
      const space = /\s/.test(character);
      if (!space && !this.inWord) this.words++;
      this.inWord = !space;
      this.endsWithNewline = character === '\n';
    }
  }

  /** A last line without a newline still counts. */
  totals(): { lines: number; words: number; characters: number } {
    const unterminated = this.characters > 0 && !this.endsWithNewline ? 1 : 0;
    return { lines: this.lines + unterminated, words: this.words, characters: this.characters };
  }
}

/** The command: settings from the environment, credentials and region from the task role. */
export async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const settings = readSummarizeSettings(env);
  const s3 = new S3Client({});
  try {
    log('info', 'summarizing', { bucket: settings.bucket, key: settings.key });
    const { resultKey, summary } = await summarizeObject(s3, settings);
    log('info', 'summarized', {
      bucket: settings.bucket,
      key: settings.key,
      resultKey,
      bytes: summary.bytes,
      lines: summary.lines,
      words: summary.words,
    });
  } finally {
    s3.destroy();
  }
}

// The image's one entry point: `node dist/main.js <command>`. One image, several commands: the web
// server, and the tasks and the worker of the ECS patterns (lib/ecs-patterns-stack.ts).
//
// The commands that call AWS live in bundles of their own (app/build.mjs), loaded only when asked for:
// the AWS SDK is more JavaScript than the rest of the app many times over, and parsing it would slow
// every start of the web server.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeError } from './log';
import { prune } from './prune';
import { serve } from './serve';
import type * as SummarizeObject from './summarize-object';
import type * as Worker from './worker';

const USAGE = `usage: node dist/main.js [command]

commands:
  serve             run the web server (the default)
                    environment: PORT, GUESTBOOK_DIR, IMAGE_VERSION, PLATFORM,
                    SHUTDOWN_DRAIN_MS, SHUTDOWN_TIMEOUT_MS
  summarize-object  write a JSON summary of one S3 object under the results prefix
                    environment: BUCKET, KEY, INPUT_PREFIX, RESULTS_PREFIX, MAX_OBJECT_BYTES
  prune             delete guestbook entries older than MAX_AGE_DAYS
                    environment: GUESTBOOK_DIR, MAX_AGE_DAYS
  worker            add the guestbook entries that arrive on an SQS queue, until SIGTERM
                    environment: QUEUE_URL, GUESTBOOK_DIR
  help              print this message
`;

/** A command's own bundle, dist/<name>.js next to this file. */
async function bundle<T>(name: string): Promise<T> {
  return (await import(pathToFileURL(join(__dirname, `${name}.js`)).href)) as T;
}

const commands = new Map<string, () => Promise<void>>([
  ['serve', () => serve(process.env)],
  [
    'summarize-object',
    async () => (await bundle<typeof SummarizeObject>('summarize-object')).main(process.env),
  ],
  ['prune', () => prune(process.env)],
  ['worker', async () => (await bundle<typeof Worker>('worker')).main(process.env)],
  ['help', async () => void process.stdout.write(USAGE)],
]);

/**
 * Errors that say what to fix print as their message alone, without a stack trace. Matched by name:
 * each bundle has its own copy of the classes.
 */
const EXPECTED_ERRORS = new Set(['ConfigError', 'InvalidObjectError']);

const name = process.argv[2] ?? 'serve';
const command = commands.get(name);
if (command === undefined) {
  process.stderr.write(`unknown command: ${name}\n\n${USAGE}`);
  process.exitCode = 2;
} else {
  command().catch((error: unknown) => {
    const expected = error instanceof Error && EXPECTED_ERRORS.has(error.name);
    process.stderr.write(`${name}: ${describeError(error, { stack: !expected })}\n`);
    process.exitCode = 1;
  });
}

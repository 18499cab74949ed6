// The image's one entry point: `node dist/main.js <command>`. Today the only command is the web
// server; batch jobs and workers that ship in the same image become more entries in `commands`.
import { ConfigError } from './config';
import { describeError } from './log';
import { serve } from './serve';

const USAGE = `usage: node dist/main.js [command]

commands:
  serve  run the web server (the default)
         environment: PORT, GUESTBOOK_DIR, IMAGE_VERSION, PLATFORM, SHUTDOWN_TIMEOUT_MS
  help   print this message
`;

const commands = new Map<string, () => Promise<void>>([
  ['serve', () => serve(process.env)],
  ['help', async () => void process.stdout.write(USAGE)],
]);

const name = process.argv[2] ?? 'serve';
const command = commands.get(name);
if (command === undefined) {
  process.stderr.write(`unknown command: ${name}\n\n${USAGE}`);
  process.exitCode = 2;
} else {
  command().catch((error: unknown) => {
    process.stderr.write(`${name}: ${describeError(error, { stack: !(error instanceof ConfigError) })}\n`);
    process.exitCode = 1;
  });
}

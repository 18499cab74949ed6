// `serve`: wires configuration, the guestbook volume and platform detection into the web server, and
// turns the orchestrator's SIGTERM into a graceful shutdown.
import { stat } from 'node:fs/promises';
import { readServeConfig } from './config';
import { Guestbook } from './guestbook';
import { describeError, logToStdout as log } from './log';
import { detectPlatform } from './platform';
import { startServer } from './server';

export async function serve(env: NodeJS.ProcessEnv): Promise<void> {
  const config = readServeConfig(env);
  const guestbook = await openGuestbook(config.guestbookDir);
  const facts = detectPlatform({ env, hint: config.platformHint });
  const server = await startServer({
    port: config.port,
    imageVersion: config.imageVersion,
    facts,
    guestbook,
    drainMs: config.drainMs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
  });
  // Before announcing the server, so a SIGTERM that arrives right after startup still drains it.
  // `once`: a second signal gets node's default handling and ends the process at once (Ctrl-C twice).
  const stop = (signal: NodeJS.Signals) => {
    // close() starts draining before it returns, so whoever reads this log line can rely on that.
    const closed = server.close();
    log('info', 'shutting down', {
      signal,
      drainMs: config.drainMs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
    });
    // Nothing else keeps the event loop busy, so once the server has closed node exits with status 0.
    void closed.then(() => log('info', 'stopped'));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  log('info', 'listening', {
    port: server.port,
    imageVersion: config.imageVersion,
    volume: guestbook?.dir ?? null,
  });

  const { platform, replicaId, availabilityZone, detectionErrors } = await facts;
  log(detectionErrors.length === 0 ? 'info' : 'warn', 'platform', {
    platform,
    replicaId,
    availabilityZone,
    detectionErrors,
  });
}

/** No directory, no volume: App Runner has none, and neither has a quick local run. */
async function openGuestbook(dir: string | undefined): Promise<Guestbook | undefined> {
  if (dir === undefined) return undefined;
  try {
    if ((await stat(dir)).isDirectory()) return new Guestbook(dir);
    log('warn', 'GUESTBOOK_DIR is not a directory: running without a shared volume', { dir });
  } catch (error) {
    log('warn', 'GUESTBOOK_DIR is missing: running without a shared volume', {
      dir,
      error: describeError(error),
    });
  }
  return undefined;
}

/**
 * The `local` target: the sample app as two replicas on one volume, with no AWS at all. Two `serve`
 * processes of the bundled app share one temporary guestbook directory (two tasks on one EFS volume),
 * behind a round-robin proxy on loopback (the load balancer).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAppProcess, type AppProcess } from '../../test/app/support/app-process';
import type { AppUnderTest } from './app-checks';

export interface LocalApp {
  /** The proxy: requests take turns between the replicas. */
  readonly url: string;
  /** Each replica directly. */
  readonly replicaUrls: readonly string[];
  readonly volume: string;
  /** Stops the replicas (SIGTERM: they drain) and the proxy, and removes a volume it made. */
  stop(): Promise<void>;
}

export const LOCAL_IMAGE_VERSION = 'local';

/** The app under test that `local` checks. */
export function localApp(app: LocalApp): AppUnderTest {
  return {
    url: app.url,
    platforms: ['local'],
    imageVersion: LOCAL_IMAGE_VERSION,
    volume: true,
    replicas: { spread: app.replicaUrls.length },
  };
}

/** Bundles app/src with the app's own build script (`root`: the repository) into a temporary directory. */
export async function buildBundle(root: string): Promise<{ main: string; remove(): Promise<void> }> {
  const outdir = await mkdtemp(join(tmpdir(), 'verify-app-'));
  await promisify(execFile)(process.execPath, [join(root, 'app/build.mjs'), '--outdir', outdir]);
  return { main: join(outdir, 'main.js'), remove: () => rm(outdir, { recursive: true, force: true }) };
}

/**
 * Starts `replicas` copies of the bundled app (`main`) on `volume`, a fresh temporary directory unless
 * given, behind the proxy.
 */
export async function startLocal(
  main: string,
  options: { replicas?: number; volume?: string } = {},
): Promise<LocalApp> {
  const { replicas = 2 } = options;
  const ownVolume =
    options.volume === undefined ? await mkdtemp(join(tmpdir(), 'verify-guestbook-')) : undefined;
  const volume = options.volume ?? ownVolume!;
  const processes: AppProcess[] = [];
  let proxy: Server | undefined;
  const stop = async () => {
    await Promise.all(
      processes.map((p) => (p.child.exitCode === null ? (p.child.kill('SIGTERM'), p.exited) : p.exited)),
    );
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    if (ownVolume) await rm(ownVolume, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < replicas; i++) {
      processes.push(
        await startAppProcess(main, {
          GUESTBOOK_DIR: volume,
          IMAGE_VERSION: LOCAL_IMAGE_VERSION,
          // no load balancer to drain from: stop at once, as Ctrl-C on `--keep` expects
          SHUTDOWN_DRAIN_MS: '0',
        }),
      );
    }
    proxy = await roundRobinProxy(processes.map((p) => p.port));
    return {
      url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`,
      replicaUrls: processes.map((p) => `http://127.0.0.1:${p.port}/`),
      volume,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A load balancer in a dozen lines: each request goes to the next port in turn; 502 when it is down. */
async function roundRobinProxy(ports: readonly number[]): Promise<Server> {
  let next = 0;
  const server = createServer((incoming, outgoing) => {
    const port = ports[next++ % ports.length];
    const upstream = request(
      { host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.headersSent || outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

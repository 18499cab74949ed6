// The bundled app as the container runs it: commands and exit codes, and the graceful shutdown when the
// orchestrator sends SIGTERM while requests are in flight, over keep-alive connections as a load
// balancer keeps them, and while slow clients hang on.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_TIMEOUT_MS, buildApp, startAppProcess, type AppProcess } from './support/app-process';

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

function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [app.main, ...args],
      { env: { PATH: process.env.PATH, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

describe('commands', () => {
  test('help prints the usage and exits 0', async () => {
    const { code, stdout } = await run(['help']);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: node dist\/main.js \[command\]/);
  });

  test('an unknown command prints the usage on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await run(['frobnicate']);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^unknown command: frobnicate\n\nusage: /);
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT must be an integer from 0 to 65535, got "eighty"'],
    [{ PLATFORM: 'lambda' }, 'PLATFORM must be one of apprunner, express or unset, got "lambda"'],
    [{ SHUTDOWN_TIMEOUT_MS: '-1' }, 'SHUTDOWN_TIMEOUT_MS must be an integer'],
    [
      { SHUTDOWN_DRAIN_MS: '20000' },
      'SHUTDOWN_TIMEOUT_MS must be at least SHUTDOWN_DRAIN_MS (20000), got "10000"',
    ],
  ])('serve refuses bad configuration %o with a message and exit 1', async (env, message) => {
    const { code, stderr } = await run(['serve'], env);

    expect(code).toBe(1);
    expect(stderr).toContain(`serve: ${message}`);
  });

  test('a GUESTBOOK_DIR that does not exist means no shared volume, with a warning', async () => {
    const server = await startAppProcess(app.main, {
      GUESTBOOK_DIR: join(volume, 'missing'),
      SHUTDOWN_DRAIN_MS: '0',
    });
    server.child.kill('SIGTERM');

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^GUESTBOOK_DIR is missing/) }),
    );
    expect(server.logs).toContainEqual(expect.objectContaining({ msg: 'listening', volume: null }));
  });
});

/** A POST whose body the client holds back: in flight on the server until `finish()` sends it. */
async function startSlowPost(port: number, name: string) {
  const body = JSON.stringify({ name, message: 'sent while the task was stopping' });
  let client!: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    client = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/guestbook',
      // Keep-alive, as a load balancer talks to its targets: the server has to end these connections.
      agent: new Agent({ keepAlive: true }),
      // With Expect: 100-continue node answers "100 Continue" just before handing the request to the
      // app: proof that the request is in flight on the server, without sleeping and hoping.
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        Expect: '100-continue',
      },
    });
    client.on('response', resolve).on('error', reject);
  });
  await new Promise((resolve) => client.once('continue', resolve));
  client.write(body.slice(0, 10));
  return {
    response,
    async finish() {
      client.end(body.slice(10));
      const answer = await response;
      let text = '';
      for await (const chunk of answer) text += chunk;
      return { status: answer.statusCode, connection: answer.headers.connection, body: JSON.parse(text) };
    },
  };
}

/** A keep-alive connection that has served one request and now sits idle in the client's pool. */
async function idleKeepAliveConnection(port: number): Promise<Socket> {
  const agent = new Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const client = request({ host: '127.0.0.1', port, path: '/healthz', agent }, (response) => {
      response.resume().on('end', () => resolve(socket));
    });
    let socket: Socket;
    client
      .on('socket', (assigned) => (socket = assigned))
      .on('error', reject)
      .end();
  });
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** Every file the volume holds, in any directory. */
async function volumeFiles(): Promise<string[]> {
  const found = await readdir(volume, { withFileTypes: true, recursive: true });
  return found.filter((file) => file.isFile()).map((file) => file.name);
}

/**
 * `connections` keep-alive connections sending GET / back to back, as a load balancer does, until
 * stop(): the status of every request, or the network error that ended it.
 */
function keepAliveLoad(port: number, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const answers: { status: number | string; connection?: string; afterSignal: boolean }[] = [];
  let stopped = false;
  let signalled = false;
  const get = () =>
    new Promise<void>((resolve) => {
      const afterSignal = signalled;
      request({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
        response.resume().on('end', () => {
          answers.push({
            status: response.statusCode ?? 0,
            connection: response.headers.connection,
            afterSignal,
          });
          resolve();
        });
      })
        .on('error', (error: NodeJS.ErrnoException) => {
          answers.push({ status: error.code ?? error.message, afterSignal });
          resolve();
        })
        .end();
    });
  const loops = Array.from({ length: connections }, async () => {
    while (!stopped) await get();
  });
  return {
    answers,
    signalled: () => (signalled = true),
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

describe('graceful shutdown on SIGTERM', () => {
  let server: AppProcess;

  afterEach(() => {
    server.child.kill('SIGKILL');
  });

  test('keep-alive load across SIGTERM: not one request fails, and every answer after it says Connection: close', async () => {
    server = await startAppProcess(app.main, { GUESTBOOK_DIR: volume, SHUTDOWN_DRAIN_MS: '1000' });
    const load = keepAliveLoad(server.port, 32);
    await until(() => load.answers.length >= 64);

    server.child.kill('SIGTERM');
    await server.waitForLog('shutting down');
    load.signalled();
    // the load balancer keeps sending for a moment: it has not seen the replica go yet
    await new Promise((resolve) => setTimeout(resolve, 250));
    await load.stop();
    const exit = await server.exited;

    expect(load.answers.filter((answer) => answer.status !== 200)).toEqual([]);
    const afterSignal = load.answers.filter((answer) => answer.afterSignal);
    expect(afterSignal.length).toBeGreaterThan(32);
    expect(afterSignal.filter((answer) => answer.connection !== 'close')).toEqual([]);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  test('in-flight requests complete; idle connections close and new ones are refused only after the drain period', async () => {
    server = await startAppProcess(app.main, { GUESTBOOK_DIR: volume, SHUTDOWN_DRAIN_MS: '300' });
    const idle = await idleKeepAliveConnection(server.port);
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    const inFlight = await Promise.all(
      ['Ada', 'Grace', 'Linus'].map((name) => startSlowPost(server.port, name)),
    );

    server.child.kill('SIGTERM');
    await server.waitForLog('shutting down');
    const duringDrain = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    const idleOpenDuringDrain = !idle.destroyed;
    const drainOver = await server.waitForLog('drain period over: stopped accepting connections');
    await idleClosed;
    expect(await connectionRefused(server.port)).toBe(true);
    const answers = await Promise.all(inFlight.map((post) => post.finish()));
    const exit = await server.exited;

    expect(duringDrain.status).toBe(503);
    expect(drainOver).toMatchObject({ closedIdle: 1, inProgress: 3 });
    expect(idleOpenDuringDrain).toBe(true);
    expect(answers).toEqual(
      ['Ada', 'Grace', 'Linus'].map((name) => ({
        status: 201,
        connection: 'close',
        body: expect.objectContaining({ name }),
      })),
    );
    expect(await volumeFiles()).toHaveLength(3);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.logs.map((line) => line.msg)).toContain('stopped');
    expect(server.logs.map((line) => line.msg)).not.toContain(
      'shutdown deadline reached, closing open connections',
    );
  });

  test('a client still sending its headers does not hold the exit: cut at the end of the drain period, no stack trace', async () => {
    server = await startAppProcess(app.main, {
      GUESTBOOK_DIR: volume,
      SHUTDOWN_DRAIN_MS: '300',
      SHUTDOWN_TIMEOUT_MS: '60000',
    });
    const slow = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => slow.once('connect', resolve));
    const cut = new Promise((resolve) => slow.once('close', resolve));
    // the cut reaches a client that is still writing as a reset (ECONNRESET) or as an end, depending
    // on timing; 'close' follows either way, and the assertions are the server's
    slow.on('error', () => {});
    const trickle = setInterval(() => slow.writable && slow.write('X'), 20);
    slow.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');

    server.child.kill('SIGTERM');
    const exit = await server.exited;
    await cut;
    clearInterval(trickle);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.logs.map((line) => line.msg)).not.toContain(
      'shutdown deadline reached, closing open connections',
    );
    expect(server.logs.filter((line) => line.level !== 'info')).toEqual([]);
    expect(server.stderr()).toBe('');
  });

  test('a request that never completes is cut off at SHUTDOWN_TIMEOUT_MS, and the exit is still clean', async () => {
    server = await startAppProcess(app.main, {
      GUESTBOOK_DIR: volume,
      SHUTDOWN_DRAIN_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '200',
    });
    const stalled = await startSlowPost(server.port, 'Ada');

    server.child.kill('SIGTERM');

    await expect(stalled.response).rejects.toThrow(/socket hang up/);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'shutdown deadline reached, closing open connections' }),
    );
    expect(server.logs).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'request', path: '/api/guestbook', aborted: true }),
    );
    expect(server.logs.filter((line) => line.level === 'error')).toEqual([]);
    expect(server.stderr()).toBe('');
    expect(await volumeFiles()).toEqual([]);
  });
});

/** Waits until `condition` holds, checking every 10 ms (the test's timeout bounds it). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

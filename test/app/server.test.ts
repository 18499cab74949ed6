// The web server over real HTTP on loopback: pages, API, headers, logging, every kind of bad input, slow
// clients, and draining for a load balancer.
import { Agent, request as httpRequest } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guestbook, MESSAGE_MAX_LENGTH, NAME_MAX_LENGTH } from '../../app/src/guestbook';
import type { Log } from '../../app/src/log';
import type { RuntimeFacts } from '../../app/src/platform';
import { HTTPS_ONLY_HEADER_NAMES, SECURITY_HEADER_NAMES } from '../../app/src/security';
import {
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_BODY_BYTES,
  REQUEST_TIMEOUT_MS,
  startServer,
  type RunningServer,
  type ServerOptions,
} from '../../app/src/server';

const FACTS: RuntimeFacts = {
  platform: 'ecs-fargate',
  platformName: 'ECS on Fargate',
  replicaKind: 'task',
  replicaId: '0123456789abcdef0123456789abcdef',
  availabilityZone: 'eu-west-1b',
  cluster: 'demo',
  hostname: 'ip-10-0-1-23.eu-west-1.compute.internal',
  detectionErrors: [],
};

interface Logged {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** A server on loopback; no drain period unless a test asks for one, so closing it is instant. */
async function start(guestbook?: Guestbook, options: Partial<ServerOptions> = {}) {
  const logs: Logged[] = [];
  const log: Log = (level, msg, fields) => logs.push({ level, msg, fields });
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    imageVersion: 'v1.2.3',
    facts: Promise.resolve(FACTS),
    guestbook,
    drainMs: 0,
    log,
    ...options,
  });
  return { server, logs, url: (path: string) => `http://127.0.0.1:${server.port}${path}` };
}

function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual', headers });
}

/** Entry files anywhere on the volume. */
async function entryFiles(dir: string): Promise<string[]> {
  const found = await readdir(dir, { withFileTypes: true, recursive: true });
  return found.filter((file) => file.isFile()).map((file) => file.name);
}

function postJson(url: string, body: unknown): Promise<Response> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text });
}

/** Sends the body in chunks without Content-Length, so the server only learns its size by reading. */
function postChunked(url: string, type: string, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'Content-Type': type } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

/** A raw TCP connection to the server, for clients that misbehave in ways fetch cannot. */
async function openSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Runs `act` and waits until `condition` holds, checking every 10 ms (the test's timeout bounds it). */
async function until(condition: () => boolean, act: () => void = () => {}): Promise<void> {
  act();
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Everything the server sends on `socket` until it closes the connection. */
function readUntilClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('with a shared volume', () => {
  let dir: string;
  let server: RunningServer;
  let logs: Logged[];
  let url: (path: string) => string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'guestbook-'));
    ({ server, logs, url } = await start(new Guestbook(dir)));
  });

  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the page shows where the app runs, with security headers', async () => {
    const response = await fetch(url('/'));
    const page = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+={0,2}'; form-action 'self'/,
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('permissions-policy')).toMatch(/^camera=\(\), microphone=\(\)/);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(response.headers.get('cache-control')).toBe('no-store');
    for (const fact of [
      'ECS on Fargate',
      FACTS.replicaId,
      'eu-west-1b',
      'v1.2.3',
      FACTS.hostname,
      'demo',
      dir,
    ]) {
      expect(page).toContain(fact);
    }
    expect(page).toContain(
      `Up to ${NAME_MAX_LENGTH} characters for the name and ${MESSAGE_MAX_LENGTH} for the message.`,
    );
    // browsers count maxlength in UTF-16 units: it would refuse 280 emoji the server accepts
    expect(page).not.toContain('maxlength');
    expect(page).toContain('No entries yet');
  });

  test.each(['/', '/healthz', '/api/info', '/api/guestbook', '/nowhere'])(
    '%s carries every security header the app declares, and HSTS only when the request came over HTTPS',
    async (path) => {
      const plain = await fetch(url(path));
      const overHttps = await fetch(url(path), { headers: { 'X-Forwarded-Proto': 'https' } });

      const missing = SECURITY_HEADER_NAMES.filter((name) => !plain.headers.has(name));
      expect(missing).toEqual([]);
      expect(HTTPS_ONLY_HEADER_NAMES.filter((name) => plain.headers.has(name))).toEqual([]);
      expect(overHttps.headers.get('strict-transport-security')).toBe('max-age=31536000');
    },
  );

  test('HEAD answers like GET without a body', async () => {
    const response = await fetch(url('/'), { method: 'HEAD' });

    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await response.text()).toBe('');
  });

  test('/healthz answers ok and is not logged when healthy', async () => {
    const response = await fetch(url('/healthz'));

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
    expect(logs).toEqual([]);
  });

  test('/api/info has the same facts as JSON', async () => {
    const response = await fetch(url('/api/info'));

    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ ...FACTS, imageVersion: 'v1.2.3', guestbook: { volume: dir } });
  });

  test('every request except a healthy /healthz logs one line with method, path, status and time', async () => {
    // the line's embedded metrics: test/app/metrics.test.ts
    const METRICS = {
      _aws: expect.any(Object),
      Platform: FACTS.platform,
      Route: expect.any(String),
      RequestLatency: expect.any(Number),
    };
    await fetch(url('/api/info?verbose=1'));
    await fetch(url('/nowhere'));

    expect(logs).toEqual([
      {
        level: 'info',
        msg: 'request',
        fields: { method: 'GET', path: '/api/info', status: 200, ms: expect.any(Number), ...METRICS },
      },
      {
        level: 'info',
        msg: 'request',
        fields: { method: 'GET', path: '/nowhere', status: 404, ms: expect.any(Number), ...METRICS },
      },
    ]);
  });

  test('the form adds an entry and redirects to the page, which lists it with its writer', async () => {
    const response = await postForm(url('/guestbook'), { name: 'Ada', message: 'Hello from the form' });

    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const page = await (await fetch(url('/'))).text();
    expect(page).toContain('Ada');
    expect(page).toContain('Hello from the form');
    expect(page).toContain('<span class="badge">ECS on Fargate</span>');
    expect(page).toContain('<code>01234567</code> <span class="this">(this one)</span>');
  });

  test('the JSON API adds an entry, tagged with the platform and task that wrote it', async () => {
    const response = await postJson(url('/api/guestbook'), { name: 'Grace', message: 'Hello from JSON' });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Grace',
      message: 'Hello from JSON',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      writtenBy: { platform: 'ecs-fargate', replica: FACTS.replicaId },
    });
    expect(await entryFiles(dir)).toEqual([expect.stringMatching(/\.json$/)]);
  });

  test('entries are listed newest first, the latest 20 only', async () => {
    for (let i = 1; i <= 22; i++) {
      expect((await postJson(url('/api/guestbook'), { name: 'Ada', message: `entry ${i}` })).status).toBe(
        201,
      );
    }

    const { entries } = (await (await fetch(url('/api/guestbook'))).json()) as {
      entries: { message: string }[];
    };
    expect(entries.map((entry) => entry.message)).toEqual(
      Array.from({ length: 20 }, (_, i) => `entry ${22 - i}`),
    );
    const page = await (await fetch(url('/'))).text();
    expect(page.indexOf('entry 22')).toBeLessThan(page.indexOf('entry 21'));
    expect(page).not.toContain('entry 2<');
  });

  test('user input comes back HTML-escaped', async () => {
    await postForm(url('/guestbook'), {
      name: '<b>Mallory</b>',
      message: '<script>alert("x")</script> & \'more\'',
    });

    const page = await (await fetch(url('/'))).text();
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>Mallory');
    expect(page).toContain('&#60;b&#62;Mallory&#60;/b&#62;');
    expect(page).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;more&#39;');
  });

  test('a name of only spaces sends the page back with the problem next to the field and what was typed kept', async () => {
    const response = await postForm(url('/guestbook'), { name: '   ', message: 'Hello <there>' });
    const page = await response.text();

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page).toContain(
      '<input id="name" name="name" required pattern=".*\\S.*" title="A name, not only spaces" autocomplete="nickname" value="   " aria-invalid="true" aria-describedby="name-problem" autofocus>\n<p class="problem" id="name-problem">Name is required</p>',
    );
    expect(page).toContain(
      '<textarea id="message" name="message" required>\nHello &#60;there&#62;</textarea>',
    );
    expect(page).not.toContain('id="message-problem"');
    expect(page).toContain('<h1>Running on');
    expect(await entryFiles(dir)).toEqual([]);
  });

  test('names and messages at the limits are accepted, trimmed first', async () => {
    const name = `  ${'n'.repeat(NAME_MAX_LENGTH)}  `;
    const response = await postJson(url('/api/guestbook'), { name, message: 'm'.repeat(MESSAGE_MAX_LENGTH) });

    expect(response.status).toBe(201);
    expect(((await response.json()) as { name: string }).name).toBe('n'.repeat(NAME_MAX_LENGTH));
  });

  describe('bad requests get a clear 4xx and the server keeps serving', () => {
    afterEach(async () => {
      expect((await fetch(url('/healthz'))).status).toBe(200);
    });

    test.each([
      [
        `name is longer than ${NAME_MAX_LENGTH} characters`,
        { name: 'n'.repeat(NAME_MAX_LENGTH + 1), message: 'hi' },
      ],
      [
        `message is longer than ${MESSAGE_MAX_LENGTH} characters`,
        { name: 'Ada', message: 'm'.repeat(MESSAGE_MAX_LENGTH + 1) },
      ],
      ['name is required', { name: '   ', message: 'hi' }],
      ['message is required', { name: 'Ada', message: '\u0000' }],
    ])('invalid entry, %s: 400', async (reason, fields) => {
      const fromForm = await postForm(url('/guestbook'), fields);
      const fromJson = await postJson(url('/api/guestbook'), fields);

      expect(fromForm.status).toBe(400);
      expect(await fromForm.text()).toContain(reason.replace(/^./, (first) => first.toUpperCase()));
      expect(fromJson.status).toBe(400);
      expect(await fromJson.json()).toEqual({ error: `Invalid entry: ${reason}` });
      expect(await entryFiles(dir)).toEqual([]);
    });

    test.each([
      ['another site', { Origin: 'https://attacker.example', 'Sec-Fetch-Site': 'cross-site' }],
      ['a sibling subdomain', { Origin: 'https://other.example.com', 'Sec-Fetch-Site': 'same-site' }],
      ['another site, Origin alone', { Origin: 'https://attacker.example' }],
      ['an opaque origin', { Origin: 'null' }],
    ])('a write a browser sends for %s: 403, nothing stored', async (_, headers) => {
      const fromForm = await postForm(url('/guestbook'), { name: 'Mallory', message: 'forged' }, headers);
      const fromJson = await fetch(url('/api/guestbook'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ name: 'Mallory', message: 'forged' }),
      });

      expect(fromForm.status).toBe(403);
      expect(await fromForm.text()).toMatch(/^Cross-site request refused: /);
      expect(fromJson.status).toBe(403);
      expect(await entryFiles(dir)).toEqual([]);
    });

    test('a body over the cap: 413, whether Content-Length announces it or not', async () => {
      const oversized = 'x'.repeat(MAX_BODY_BYTES + 1);
      const announced = await postJson(url('/api/guestbook'), oversized);
      const streamed = await postChunked(url('/guestbook'), 'application/x-www-form-urlencoded', [
        `name=Ada&message=`,
        ...Array.from({ length: MAX_BODY_BYTES / 1024 + 1 }, () => 'x'.repeat(1024)),
      ]);

      expect(announced.status).toBe(413);
      expect(await announced.json()).toEqual({
        error: `Request body is larger than ${MAX_BODY_BYTES} bytes`,
      });
      expect(streamed.status).toBe(413);
    });

    test('a body just under the cap is read, then judged on its content', async () => {
      const response = await postChunked(url('/guestbook'), 'application/x-www-form-urlencoded', [
        `name=Ada&message=${'x'.repeat(MAX_BODY_BYTES - 30)}`,
      ]);

      expect(response.status).toBe(400);
      expect(response.body).toContain(`Message is longer than ${MESSAGE_MAX_LENGTH} characters`);
    });

    test.each([
      ['/guestbook', 'GET', 'POST'],
      ['/healthz', 'POST', 'GET, HEAD'],
      ['/', 'DELETE', 'GET, HEAD'],
      ['/api/guestbook', 'PUT', 'GET, HEAD, POST'],
    ])('%s %s: 405 with Allow: %s', async (path, method, allow) => {
      const response = await fetch(url(path), { method });

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
    });

    test('malformed JSON: 400 saying so', async () => {
      const response = await postJson(url('/api/guestbook'), '{"name": "Ada", "message": ');

      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/^Malformed JSON: /);
    });

    test.each([['"just a string"'], ['null'], ['{"name": "Ada", "message": 42}'], ['[]']])(
      'JSON that is not an entry (%s): 400',
      async (body) => {
        const response = await postJson(url('/api/guestbook'), body);

        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({
          error: 'Expected a JSON object with string fields "name" and "message"',
        });
      },
    );

    test('a body that is not UTF-8: 400', async () => {
      const response = await fetch(url('/api/guestbook'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'Request body is not valid UTF-8' });
    });

    test.each([
      ['/api/guestbook', 'text/plain', 'Content-Type must be application/json, got text/plain'],
      [
        '/guestbook',
        'application/json',
        'Content-Type must be application/x-www-form-urlencoded, got application/json',
      ],
      ['/guestbook', undefined, 'Content-Type must be application/x-www-form-urlencoded, got none'],
    ])('POST %s with Content-Type %s: 415', async (path, type, message) => {
      const response = await fetch(url(path), {
        method: 'POST',
        headers: type === undefined ? {} : { 'Content-Type': type },
        body: new TextEncoder().encode('name=Ada&message=hi'),
      });

      expect(response.status).toBe(415);
      expect(await response.text()).toContain(message);
    });

    test('unknown path: 404', async () => {
      const response = await fetch(url('/wp-login.php'));

      expect(response.status).toBe(404);
      expect(await response.text()).toBe('Nothing at /wp-login.php\n');
    });
  });

  test.each([
    ['a program (no Origin, no Sec-Fetch-Site)', () => ({})],
    ['the page itself', (self: string) => ({ Origin: self, 'Sec-Fetch-Site': 'same-origin' })],
    [
      'the page behind a proxy that says which host it was sent to',
      () => ({ Origin: 'https://www.example.org', 'X-Forwarded-Host': 'www.example.org' }),
    ],
  ])('a write from %s is stored', async (_, headers) => {
    const response = await postForm(url('/guestbook'), { name: 'Ada', message: 'hi' }, headers(url('')));

    expect(response.status).toBe(303);
    expect(await entryFiles(dir)).toHaveLength(1);
  });

  test('a client that disconnects mid-upload is logged as such, at info level, without a stack trace', async () => {
    const socket = await openSocket(server.port);
    socket.write(
      'POST /api/guestbook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name": ',
    );
    await until(
      () => logs.length > 0,
      () => socket.destroy(),
    );

    expect(logs).toEqual([
      {
        level: 'info',
        msg: 'request',
        fields: {
          method: 'POST',
          path: '/api/guestbook',
          status: undefined,
          ms: expect.any(Number),
          aborted: true,
        },
      },
    ]);
  });

  test('an unreadable volume spoils the guestbook, not the page', async () => {
    await rm(dir, { recursive: true });

    const page = await fetch(url('/'));

    expect(page.status).toBe(200);
    expect(await page.text()).toContain('The guestbook could not be read right now');
    expect(logs).toContainEqual({
      level: 'error',
      msg: 'guestbook unreadable',
      fields: { error: expect.any(String) },
    });
  });
});

describe('slow clients', () => {
  test('the limits: keep-alive outlasts the ALB idle timeout (60 s), headers and whole requests are bounded', async () => {
    const { server, url } = await start();
    const response = await fetch(url('/healthz'));
    await server.close();

    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
    expect(response.headers.get('keep-alive')).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    expect(HEADERS_TIMEOUT_MS).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS);
    expect(REQUEST_TIMEOUT_MS).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS);
  });

  test('a client sending its headers byte by byte is answered 408 and cut off at the headers timeout', async () => {
    const { server, logs } = await start(undefined, { headersTimeoutMs: 300, requestTimeoutMs: 300 });
    const socket = await openSocket(server.port);
    const received = readUntilClosed(socket);
    const trickle = setInterval(() => socket.writable && socket.write('X'), 50);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');

    const answer = await received;
    clearInterval(trickle);
    await server.close();

    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(logs.filter((line) => line.msg === 'request')).toEqual([]);
  });

  test('an idle keep-alive connection is not a slow request: it outlives the headers timeout', async () => {
    const { server, url } = await start(undefined, { headersTimeoutMs: 200, requestTimeoutMs: 200 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<Socket>((resolve, reject) => {
        httpRequest(url('/healthz'), { agent }, (response) =>
          response.resume().on('end', () => resolve(response.socket)),
        )
          .on('error', reject)
          .end();
      });
    const first = await get();
    // node checks the timeouts once a second: at least one check passes while the connection idles
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const second = await get();
    agent.destroy();
    await server.close();

    expect(second).toBe(first);
  });

  test('connections beyond the cap are closed before a byte is read; those within it are served', async () => {
    const { server } = await start(undefined, { maxConnections: 3 });
    const held = await Promise.all([1, 2, 3].map(() => openSocket(server.port)));

    const refused = await readUntilClosed(await openSocket(server.port));
    const served = readUntilClosed(held[0]);
    held[0].end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const answer = await served;
    for (const socket of held) socket.destroy();
    await server.close();

    expect(refused).toBe('');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
});

describe('draining (what SIGTERM starts)', () => {
  test('during the drain period: /healthz 503, every answer says Connection: close, new connections are served', async () => {
    const { server, url } = await start(undefined, { drainMs: 500 });
    const closed = server.close();

    const health = await fetch(url('/healthz'));
    const page = await fetch(url('/'));

    expect(health.status).toBe(503);
    expect(await health.text()).toBe('draining\n');
    expect(health.headers.get('connection')).toBe('close');
    expect(page.status).toBe(200);
    expect(page.headers.get('connection')).toBe('close');
    await closed;
  });

  test('at the end of the drain period: idle connections and clients still sending headers are closed, new ones refused', async () => {
    const { server, url, logs } = await start(undefined, { drainMs: 300, shutdownTimeoutMs: 60_000 });
    const agent = new Agent({ keepAlive: true });
    await new Promise((resolve) =>
      httpRequest(url('/healthz'), { agent }, (r) => r.resume().on('end', resolve)).end(),
    );
    const [idle] = Object.values(agent.freeSockets).flat() as Socket[];
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    const slow = await openSocket(server.port);
    slow.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const slowClosed = readUntilClosed(slow);

    await server.close();
    await Promise.all([idleClosed, slowClosed]);
    const refused = await openSocket(server.port).then(
      () => false,
      (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
    );
    agent.destroy();

    expect(refused).toBe(true);
    expect(logs).toContainEqual({
      level: 'info',
      msg: 'drain period over: stopped accepting connections',
      fields: { drainMs: 300, closedIdle: 2, inProgress: 0 },
    });
    expect(logs.map((line) => line.msg)).not.toContain('shutdown deadline reached, closing open connections');
  });
});

describe('without a shared volume (App Runner)', () => {
  let server: RunningServer;
  let url: (path: string) => string;

  beforeAll(async () => {
    ({ server, url } = await start(undefined));
  });

  afterAll(() => server.close());

  test('the page says so and shows no form; the rest works', async () => {
    const page = await (await fetch(url('/'))).text();

    expect(page).toContain('No shared volume is mounted here');
    expect(page).toContain('ECS on Fargate');
    expect(page).not.toContain('<form');
    expect((await fetch(url('/healthz'))).status).toBe(200);
    expect(await (await fetch(url('/api/info'))).json()).toMatchObject({ guestbook: { volume: null } });
  });

  test('reading or writing the guestbook: 503 with the reason', async () => {
    const form = await postForm(url('/guestbook'), { name: 'Ada', message: 'hi' });
    const api = await fetch(url('/api/guestbook'));

    expect(form.status).toBe(503);
    expect(await form.text()).toContain('No shared volume is mounted here');
    expect(api.status).toBe(503);
  });
});

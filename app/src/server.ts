// The web server: routes, the headers every response carries, one log line per request, the limits
// that keep slow clients from holding it, and the graceful shutdown that lets a load balancer drain
// this replica without a failed request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InvalidEntryError, type Guestbook, type GuestbookEntry, type NewEntry } from './guestbook';
import { HttpError, html, json, mediaType, readBody, text, type Reply } from './http';
import { describeError, logToStdout, type Log } from './log';
import { OTHER_ROUTE, requestMetricFields } from './metrics';
import { renderPage, type FormView, type GuestbookView } from './page';
import type { RuntimeFacts } from './platform';
import { refuseCrossSite, securityHeaders } from './security';

/**
 * Far above the largest valid entry, fully percent-encoded: 280 characters of the longest emoji
 * sequences (~35 bytes of UTF-8 each, 3 bytes per byte encoded) come to ~30 KiB.
 */
export const MAX_BODY_BYTES = 64 * 1024;
export const LATEST_ENTRIES = 20;

/**
 * After SIGTERM: how long the server keeps answering (with `Connection: close`, and 503 on /healthz)
 * before it stops accepting connections, and the hard deadline for everything, both counted from the
 * signal. docs/app.md sets them against each platform's timeline.
 */
export const DEFAULT_DRAIN_MS = 5_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Longer than the ALB's 60 s idle timeout, so the load balancer always closes an idle connection
 * first. The other way round, it can send a request just as node closes the connection, and answer 502.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/**
 * Slow clients (whether a phone on a bad network or a deliberate slowloris) get this long to send
 * the request headers, and this long for the whole request with its body. A load balancer sends the
 * headers in one go and streams at most 64 KiB of body, so these only ever bite a client that
 * reaches the app directly (through an NLB, say) and dawdles. Timed from the request's first byte:
 * an idle keep-alive connection is governed by KEEP_ALIVE_TIMEOUT_MS alone.
 */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * A load balancer reuses keep-alive connections, so it needs about as many as it has requests in
 * flight, a few dozen on a task this size. The cap bounds memory (each connection may buffer 16 KiB of
 * headers and 64 KiB of body: ~80 MiB at most) and file descriptors; connections over it are
 * closed at once, before a byte is read.
 */
export const MAX_CONNECTIONS = 1_000;

export interface ServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** @default every interface, IPv4 and IPv6 */
  host?: string;
  imageVersion: string;
  /** Detected once at startup; requests wait for it only until it has settled. */
  facts: Promise<RuntimeFacts>;
  /** Absent when no shared volume is mounted (App Runner). */
  guestbook?: Guestbook;
  /** @default DEFAULT_DRAIN_MS */
  drainMs?: number;
  /** @default DEFAULT_SHUTDOWN_TIMEOUT_MS */
  shutdownTimeoutMs?: number;
  /** @default HEADERS_TIMEOUT_MS */
  headersTimeoutMs?: number;
  /** @default REQUEST_TIMEOUT_MS */
  requestTimeoutMs?: number;
  /** @default MAX_CONNECTIONS */
  maxConnections?: number;
  /** @default logToStdout */
  log?: Log;
}

export interface RunningServer {
  port: number;
  /**
   * Stops gracefully: answers on (with `Connection: close`, /healthz 503) for the drain period, then
   * stops accepting and closes every connection without a request in progress, and resolves once the
   * requests in progress have finished or were cut off at the shutdown deadline.
   */
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage) => Promise<Reply>;
type Route = Partial<Record<'GET' | 'POST', Handler>>;
interface State {
  draining: boolean;
}

const NO_VOLUME = 'No shared volume is mounted here, so the guestbook is unavailable';

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const {
    log = logToStdout,
    drainMs = DEFAULT_DRAIN_MS,
    shutdownTimeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS,
  } = options;
  const state: State = { draining: false };
  /** The requests that added a guestbook entry: their log line counts a write. */
  const wrote = new WeakSet<IncomingMessage>();
  const routes = createRoutes(options, state, log, wrote);
  // Read synchronously by each request's log line; requests that finish before detection say "unknown".
  let platform = 'unknown';
  void options.facts.then((facts) => (platform = facts.platform));
  /** Every open connection, and how many requests each has in progress. */
  const connections = new Map<Socket, number>();
  const count = (socket: Socket, change: number) => {
    const requests = connections.get(socket);
    if (requests !== undefined) connections.set(socket, requests + change);
  };

  const server = createServer(
    {
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // How often node enforces the two timeouts above: its default of 30 s would triple them.
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => {
      const started = performance.now();
      const path = (request.url ?? '/').split('?')[0];
      count(request.socket, +1);
      response.on('close', () => {
        count(request.socket, -1);
        // Load balancer nodes and orchestrators each probe every few seconds: logging every success
        // would bury the requests people make and cost log ingestion for nothing. Failed checks are logged.
        if (path === '/healthz' && response.statusCode === 200) return;
        const ms = Math.round((performance.now() - started) * 10) / 10;
        log('info', 'request', {
          method: request.method,
          path,
          // No status when the connection closed before an answer went out (client gone, shutdown deadline).
          status: response.headersSent ? response.statusCode : undefined,
          ms,
          // An answered request is also a metric (app/src/metrics.ts), carried by this same line.
          ...(response.writableFinished
            ? requestMetricFields({
                platform,
                route: Object.hasOwn(routes, path) ? path : OTHER_ROUTE,
                latencyMs: ms,
                status: response.statusCode,
                guestbookWrite: wrote.has(request),
              })
            : { aborted: true }),
        });
      });
      dispatch(routes, request, path)
        .catch((error: unknown) => errorReply(error, path, log))
        .then((reply) => send(request, response, reply, state.draining));
    },
  );
  server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  server.on('connection', (socket: Socket) => {
    connections.set(socket, 0);
    socket.once('close', () => connections.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      // From now on every response says `Connection: close`, so each keep-alive connection ends after
      // its next request, and the client (the load balancer) opens a new one for the one after. The
      // server keeps listening: a load balancer that has not yet seen this replica go (Kubernetes
      // removes it while SIGTERM is on its way) still gets answers. Closing an idle keep-alive
      // connection now instead would race a request the client is sending on it: that request would
      // get a reset (a 502 from the load balancer).
      state.draining = true;
      const deadline = setTimeout(() => {
        log('warn', 'shutdown deadline reached, closing open connections', { shutdownTimeoutMs });
        server.closeAllConnections();
      }, shutdownTimeoutMs);
      setTimeout(() => {
        // By now the load balancer sends nothing more. What is left: connections idle since the
        // signal, and clients still sending their headers, neither with a request to lose; and
        // requests in progress, which finish (or meet the deadline).
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        const idle = [...connections].filter(([, requests]) => requests === 0);
        for (const [socket] of idle) socket.destroy();
        log('info', 'drain period over: stopped accepting connections', {
          drainMs,
          closedIdle: idle.length,
          inProgress: connections.size - idle.length,
        });
      }, drainMs);
    });
    return closed;
  };

  return { port: (server.address() as AddressInfo).port, close };
}

function createRoutes(
  options: ServerOptions,
  state: State,
  log: Log,
  wrote: WeakSet<IncomingMessage>,
): Record<string, Route> {
  const { facts, guestbook, imageVersion } = options;

  const guestbookView = async (): Promise<GuestbookView> => {
    if (!guestbook) return { state: 'no-volume' };
    try {
      return { state: 'ready', volume: guestbook.dir, entries: await guestbook.list(LATEST_ENTRIES) };
    } catch (error) {
      // An unreachable volume spoils the guestbook, not the page.
      log('error', 'guestbook unreadable', { error: describeError(error) });
      return { state: 'unreadable', volume: guestbook.dir };
    }
  };

  const page = async (status: number, form?: FormView) =>
    html(status, renderPage({ facts: await facts, imageVersion, guestbook: await guestbookView(), form }));

  const requireGuestbook = (): Guestbook => {
    if (!guestbook) throw new HttpError(503, NO_VOLUME);
    return guestbook;
  };

  const add = async (request: IncomingMessage, book: Guestbook, input: NewEntry): Promise<GuestbookEntry> => {
    const { platform, replicaId } = await facts;
    const entry = await book.add(input, { platform, replica: replicaId });
    wrote.add(request);
    return entry;
  };

  /** Checks common to both ways of writing, before the body is read. */
  const writableGuestbook = (request: IncomingMessage, type: string): Guestbook => {
    const book = requireGuestbook();
    refuseCrossSite(request);
    requireMediaType(request, type);
    return book;
  };

  return {
    '/': { GET: () => page(200) },
    // Liveness, and readiness to drain: 503 from SIGTERM on takes the replica out of the load balancer
    // (and a Kubernetes Service) even where nothing else does. It never checks the volume: one EFS
    // hiccup would fail every replica's check at once and the orchestrator would replace them all.
    // The page reports the volume instead.
    '/healthz': { GET: async () => (state.draining ? text(503, 'draining') : text(200, 'ok')) },
    '/api/info': {
      GET: async () =>
        json(200, { ...(await facts), imageVersion, guestbook: { volume: guestbook?.dir ?? null } }),
    },
    '/guestbook': {
      POST: async (request) => {
        const book = writableGuestbook(request, 'application/x-www-form-urlencoded');
        const form = new URLSearchParams(await readBody(request, MAX_BODY_BYTES));
        const values = { name: form.get('name') ?? '', message: form.get('message') ?? '' };
        try {
          await add(request, book, values);
        } catch (error) {
          // The page again, with what they typed and what to fix next to each field.
          if (error instanceof InvalidEntryError) return page(400, { values, problems: error.problems });
          throw error;
        }
        // Post/Redirect/Get: the browser shows the page with a GET, so reloading it does not post again.
        return { status: 303, headers: { Location: '/' } };
      },
    },
    '/api/guestbook': {
      GET: async () => json(200, { entries: await requireGuestbook().list(LATEST_ENTRIES) }),
      POST: async (request) => {
        const book = writableGuestbook(request, 'application/json');
        const input = parseEntryJson(await readBody(request, MAX_BODY_BYTES));
        try {
          return json(201, await add(request, book, input));
        } catch (error) {
          if (error instanceof InvalidEntryError) throw new HttpError(400, `Invalid entry: ${error.message}`);
          throw error;
        }
      },
    },
  };
}

async function dispatch(
  routes: Record<string, Route>,
  request: IncomingMessage,
  path: string,
): Promise<Reply> {
  const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (!route) throw new HttpError(404, `Nothing at ${path}`);
  // node:http answers HEAD with the headers of the GET and no body.
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const handler = method === 'GET' || method === 'POST' ? route[method] : undefined;
  if (!handler) {
    const allow = Object.keys(route).flatMap((name) => (name === 'GET' ? ['GET', 'HEAD'] : [name]));
    throw new HttpError(405, `${request.method} is not allowed on ${path}`, { Allow: allow.join(', ') });
  }
  return handler(request);
}

function requireMediaType(request: IncomingMessage, expected: string): void {
  const actual = mediaType(request);
  if (actual !== expected) {
    throw new HttpError(415, `Content-Type must be ${expected}, got ${actual === '' ? 'none' : actual}`);
  }
}

function parseEntryJson(body: string): NewEntry {
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, `Malformed JSON: ${describeError(error)}`);
  }
  // Any JSON value destructures (to undefined fields) except null.
  const { name, message } = (input ?? {}) as Record<string, unknown>;
  if (typeof name !== 'string' || typeof message !== 'string') {
    throw new HttpError(400, 'Expected a JSON object with string fields "name" and "message"');
  }
  return { name, message };
}

/** Errors the client can act on keep their message; anything else is logged and answered with a plain 500. */
function errorReply(error: unknown, path: string, log: Log): Reply {
  const known = error instanceof HttpError ? error : undefined;
  if (!known) log('error', 'request failed', { path, error: describeError(error, { stack: true }) });
  const status = known?.status ?? 500;
  const message = known?.message ?? 'Internal server error';
  const reply = path.startsWith('/api/') ? json(status, { error: message }) : text(status, message);
  return { ...reply, headers: { ...reply.headers, ...known?.headers } };
}

function send(request: IncomingMessage, response: ServerResponse, reply: Reply, draining: boolean): void {
  if (response.destroyed) return; // the client went away before the answer was ready
  const body = reply.body ?? '';
  response.writeHead(reply.status, {
    ...securityHeaders(request),
    // Every answer says which replica served it: a cached copy would show the wrong one.
    'Cache-Control': 'no-store',
    ...reply.headers,
    'Content-Length': Buffer.byteLength(body),
    ...(draining ? { Connection: 'close' } : {}),
  });
  response.end(body);
}

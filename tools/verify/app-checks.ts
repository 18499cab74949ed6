/**
 * The sample app's checks over HTTP, the same on every platform and on `local`: what a user and the
 * guestbook API see, and that replicas share one guestbook volume.
 */
import { randomBytes } from 'node:crypto';
import { PLATFORMS, type Platform } from '../../app/src/platform';
import { SECURITY_HEADER_NAMES } from '../../app/src/security';
import { at, json, postJson, send, type Answer } from './http';
import { poll, VerifyError, type CheckContext, type Recorder } from './runner';

/** The security headers every answer of the app carries (app/src/security.ts), lower case as node reports them. */
export const SECURITY_HEADERS: readonly string[] = SECURITY_HEADER_NAMES.map((name) => name.toLowerCase());

export interface AppUnderTest {
  /** Where a user goes: a load balancer, a service URL, the local proxy. */
  readonly url: string;
  /** The platform ids (app/src/platform.ts) allowed to answer. */
  readonly platforms: readonly Platform[];
  /** The image tag that must answer; any when unknown. */
  readonly imageVersion?: string;
  /** Whether the app has a guestbook volume: App Runner and Express Mode mount none. */
  readonly volume: boolean;
  /**
   * How to reach two replicas of one volume. `pinned`: URLs that each reach one of them (ECS: the EC2
   * and the Fargate service, by `?platform=`). `spread`: `url` spreads requests over this many replicas.
   */
  readonly replicas?: { readonly pinned: readonly string[] } | { readonly spread: number };
}

export interface HttpTimings {
  /** Per request. */
  readonly requestMs: number;
  /** Until the first 200 from /healthz: a new load balancer's DNS name can take minutes to resolve. */
  readonly readyMs: number;
  /** Until every replica of a shared volume has answered. */
  readonly replicasMs: number;
  readonly intervalMs: number;
}

interface Info {
  platform?: string;
  replicaId?: string;
  availabilityZone?: string;
  imageVersion?: string;
  detectionErrors?: unknown[];
  guestbook?: { volume?: string | null };
}

interface Entry {
  id: string;
  message: string;
  writtenBy: { platform: string; replica: string };
}

/** Runs every HTTP check of one app under test, recording each as `target`/live. */
export async function appChecks(
  recorder: Recorder,
  target: string,
  app: AppUnderTest,
  timings: HttpTimings,
): Promise<void> {
  const run = randomBytes(4).toString('hex');
  const check = (name: string, body: (context: CheckContext) => Promise<void>) =>
    recorder.check(target, 'live', name, body);
  const http = (signal: AbortSignal): Http => ({ timeoutMs: timings.requestMs, signal });
  const get = (url: string, signal: AbortSignal) => send(url, http(signal));
  const names = app.platforms.map((platform) => PLATFORMS[platform].name);

  const ready = await check('GET /healthz answers 200', async (context) => {
    const answer = await poll(
      context,
      {
        timeoutMs: timings.readyMs,
        intervalMs: timings.intervalMs,
        what: `200 from ${at(app.url, '/healthz')}`,
      },
      async (state) => {
        const reply = await get(at(app.url, '/healthz'), context.signal).catch((error: Error) => {
          state(error.message);
          return undefined;
        });
        if (reply) state(`${reply.status}`);
        return reply?.status === 200 ? reply : undefined;
      },
    );
    context.evidence(`${at(app.url, '/healthz')}: ${answer.status} ${answer.body.trim()}`);
  });
  if (!ready) return; // nothing answers: every further check would only fail the same way

  let page: Answer | undefined;
  await check('GET / answers 200 and names the platform', async ({ signal, evidence }) => {
    page = await get(app.url, signal);
    expectStatus(page, 200, 'GET /');
    const named = names.find((name) => page!.body.includes(name));
    if (!named) throw new VerifyError(`the page names none of ${names.join(', ')}`);
    evidence(`200, ${page.body.length} bytes, names "${named}"`);
  });

  await check('security headers present', async ({ signal, evidence }) => {
    const answer = page ?? (await get(app.url, signal));
    const missing = SECURITY_HEADERS.filter((header) => answer.headers[header] === undefined);
    if (missing.length > 0) throw new VerifyError(`missing on GET /: ${missing.join(', ')}`);
    evidence(`GET / carries ${SECURITY_HEADERS.join(', ')}`);
  });

  await check('GET /api/info is sane', async ({ signal, evidence }) => {
    const info = await readInfo(app.url, http(signal));
    const problems = infoProblems(info, app);
    if (problems.length > 0) throw new VerifyError(problems.join('; '));
    evidence(
      `${info.platform} ${info.replicaId} in ${info.availabilityZone}, image ${info.imageVersion}, volume ${info.guestbook?.volume}`,
    );
  });

  if (app.volume) {
    await check('guestbook: an entry posted is read back', async ({ signal, evidence }) => {
      const entry = await postEntry(app.url, `posted by npm run verify, run ${run}`, http(signal));
      evidence(`POST /api/guestbook: 201, id ${entry.id}, written by ${writer(entry)}`);
      const listed = await listEntries(app.url, http(signal));
      if (!listed.some((e) => e.id === entry.id)) {
        throw new VerifyError(`GET /api/guestbook does not list ${entry.id}`);
      }
      evidence(`GET /api/guestbook: 200, lists it among ${listed.length} entries`);
    });
  } else {
    await check('guestbook: no volume here, answered 503', async ({ signal, evidence }) => {
      const answer = await postJson(
        at(app.url, '/api/guestbook'),
        { name: 'verify', message: run },
        http(signal),
      );
      expectStatus(answer, 503, 'POST /api/guestbook without a volume');
      evidence('POST /api/guestbook: 503, as a platform without a shared volume should answer');
    });
  }

  await check('bad input answered 4xx', async ({ signal, evidence }) => {
    const options = http(signal);
    const guestbook = at(app.url, '/api/guestbook');
    const cases: [string, () => Promise<Answer>][] = app.volume
      ? [
          [
            'an entry with an empty name and message',
            () => postJson(guestbook, { name: ' ', message: '' }, options),
          ],
          ['malformed JSON', () => postJson(guestbook, '{"name": ', options)],
          [
            'a body far over the size limit',
            () => postJson(guestbook, { name: 'x', message: 'x'.repeat(100_000) }, options),
          ],
        ]
      : [
          ['a path that does not exist', () => get(at(app.url, `/verify-${run}`), signal)],
          ['a method the path does not allow', () => postJson(at(app.url, '/api/info'), {}, options)],
        ];
    const wrong: string[] = [];
    for (const [what, ask] of cases) {
      const { status } = await ask();
      evidence(`${what}: ${status}`);
      if (status < 400 || status > 499) wrong.push(`${what}: ${status}`);
    }
    if (wrong.length > 0) throw new VerifyError(`expected 4xx, got ${wrong.join(', ')}`);
  });

  const replicas = app.replicas;
  if (app.volume && replicas) {
    await check('shared storage: a second replica reads what the first wrote', (context) =>
      'pinned' in replicas
        ? pinnedReplicasShare(replicas.pinned, run, timings, context)
        : spreadReplicasShare(app, replicas.spread, run, timings, context),
    );
  }
}

/** Per request: its timeout and Ctrl-C. */
interface Http {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

async function readInfo(url: string, http: Http): Promise<Info> {
  const answer = await send(at(url, '/api/info'), http);
  expectStatus(answer, 200, 'GET /api/info');
  return json<Info>(answer, 'GET /api/info');
}

function infoProblems(info: Info, app: AppUnderTest): string[] {
  const problems: string[] = [];
  if (!app.platforms.includes(info.platform as Platform)) {
    problems.push(`platform "${info.platform}", expected ${app.platforms.join(' or ')}`);
  }
  if (!info.replicaId || info.replicaId === 'unknown') problems.push(`replicaId "${info.replicaId}"`);
  if (app.imageVersion !== undefined ? info.imageVersion !== app.imageVersion : !info.imageVersion) {
    problems.push(`imageVersion "${info.imageVersion}", expected ${app.imageVersion ?? 'one'}`);
  }
  if (!Array.isArray(info.detectionErrors) || info.detectionErrors.length > 0) {
    problems.push(`detectionErrors ${JSON.stringify(info.detectionErrors)}`);
  }
  if (app.volume !== (typeof info.guestbook?.volume === 'string')) {
    problems.push(
      `guestbook volume ${JSON.stringify(info.guestbook?.volume)}, expected ${app.volume ? 'a path' : 'null'}`,
    );
  }
  return problems;
}

async function postEntry(url: string, message: string, http: Http): Promise<Entry> {
  const answer = await postJson(at(url, '/api/guestbook'), { name: 'verify', message }, http);
  expectStatus(answer, 201, 'POST /api/guestbook');
  return json<Entry>(answer, 'POST /api/guestbook');
}

async function listEntries(url: string, http: Http): Promise<Entry[]> {
  const answer = await send(at(url, '/api/guestbook'), http);
  expectStatus(answer, 200, 'GET /api/guestbook');
  return json<{ entries: Entry[] }>(answer, 'GET /api/guestbook').entries;
}

const writer = (entry: Entry) => `${entry.writtenBy.platform} ${entry.writtenBy.replica}`;

/** Each pinned URL reaches its own replica: write through one, read through the other, both ways. */
async function pinnedReplicasShare(
  pinned: readonly string[],
  run: string,
  timings: HttpTimings,
  context: CheckContext,
): Promise<void> {
  const { signal, evidence } = context;
  const http = { timeoutMs: timings.requestMs, signal };
  const identities = await poll(
    context,
    {
      timeoutMs: timings.replicasMs,
      intervalMs: timings.intervalMs,
      what: `an answer from each of ${pinned.length} replicas`,
    },
    async (state) => {
      const infos = await Promise.all(pinned.map((url) => readInfo(url, http).catch(() => undefined)));
      state(infos.map((info, i) => `${pinned[i]}: ${info?.replicaId ?? 'no answer'}`).join(', '));
      return infos.every((info) => info?.replicaId)
        ? infos.map((info) => `${info!.platform} ${info!.replicaId}`)
        : undefined;
    },
  );
  if (new Set(identities).size < pinned.length) {
    throw new VerifyError(`the pinned URLs reach the same replica: ${identities.join(', ')}`);
  }
  evidence(`replicas: ${identities.join(', ')}`);
  for (const [from, to] of [
    [0, 1],
    [1, 0],
  ]) {
    const entry = await postEntry(pinned[from], `written through ${identities[from]}, run ${run}`, http);
    const listed = await listEntries(pinned[to], http);
    if (!listed.some((e) => e.id === entry.id)) {
      throw new VerifyError(`${identities[to]} does not list entry ${entry.id}, written by ${writer(entry)}`);
    }
    evidence(`written by ${writer(entry)}, read by ${identities[to]}`);
  }
}

/**
 * One URL spreads requests over the replicas (a load balancer), so no request can be sent to a chosen
 * one. Proof without choosing: entries written by two different replicas, both listed in one read.
 * With a volume per replica, no single replica could list both.
 */
async function spreadReplicasShare(
  app: AppUnderTest,
  count: number,
  run: string,
  timings: HttpTimings,
  context: CheckContext,
): Promise<void> {
  const { signal, evidence } = context;
  const http = { timeoutMs: timings.requestMs, signal };
  const seen = new Set<string>();
  await poll(
    context,
    {
      timeoutMs: timings.replicasMs,
      intervalMs: timings.intervalMs,
      what: `${count} different replicas answering ${app.url}`,
    },
    async (state) => {
      const info = await readInfo(app.url, http).catch(() => undefined);
      if (info?.replicaId) seen.add(info.replicaId);
      state(`${seen.size} seen: ${[...seen].join(', ')}`);
      return seen.size >= count ? true : undefined;
    },
  );
  evidence(`replicas answering: ${[...seen].join(', ')}`);
  const written = new Map<string, Entry>();
  await poll(
    context,
    {
      timeoutMs: timings.replicasMs,
      intervalMs: timings.intervalMs,
      what: 'entries written by two different replicas',
    },
    async (state) => {
      const entry = await postEntry(app.url, `spread write, run ${run}`, http);
      written.set(entry.writtenBy.replica, entry);
      state(`writers so far: ${[...written.keys()].join(', ')}`);
      return written.size >= 2 ? true : undefined;
    },
  );
  const [first, second] = written.values();
  const listed = new Set((await listEntries(app.url, http)).map((e) => e.id));
  const missing = [first, second].filter((entry) => !listed.has(entry.id));
  if (missing.length > 0) {
    throw new VerifyError(
      `one read lists ${listed.size} entries but not ${missing.map(writer).join(', ')}'s`,
    );
  }
  evidence(`entries written by ${writer(first)} and by ${writer(second)}, both listed in one read`);
}

function expectStatus(answer: Answer, status: number, what: string): void {
  if (answer.status !== status) {
    throw new VerifyError(
      `${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body.slice(0, 120))}`,
    );
  }
}

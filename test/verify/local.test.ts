// verify's HTTP checks, run for real against `local`: the bundled app as two processes on loopback,
// sharing one temporary guestbook directory behind a round-robin proxy.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appChecks, type HttpTimings } from '../../tools/verify/app-checks';
import { localApp, startLocal, type LocalApp } from '../../tools/verify/local';
import { buildApp } from '../app/support/app-process';
import { Recorder, realClock } from '../../tools/verify/runner';

/** Loopback answers at once: nothing here waits for more than a few attempts. */
const TIMINGS: HttpTimings = { requestMs: 5_000, readyMs: 5_000, replicasMs: 5_000, intervalMs: 20 };

function recorder() {
  return new Recorder(realClock, new AbortController().signal);
}

const results = (r: Recorder) => Object.fromEntries(r.checks.map((c) => [c.name, c.result]));

let app: Awaited<ReturnType<typeof buildApp>>;

/** Building and starting processes is disk and CPU: on a busy machine it takes more than jest's 5 s. */
const STARTUP_MS = 30_000;

beforeAll(async () => {
  app = await buildApp();
}, STARTUP_MS);

afterAll(() => app.remove());

describe('two replicas on one volume', () => {
  let local: LocalApp;

  beforeAll(async () => {
    local = await startLocal(app.main);
  }, STARTUP_MS);

  afterAll(() => local.stop());

  test('every check passes through the round-robin proxy, shared storage included', async () => {
    const r = recorder();

    await appChecks(r, 'local', localApp(local), TIMINGS);

    expect(results(r)).toEqual({
      'GET /healthz answers 200': 'pass',
      'GET / answers 200 and names the platform': 'pass',
      'security headers present': 'pass',
      'GET /api/info is sane': 'pass',
      'guestbook: an entry posted is read back': 'pass',
      'bad input answered 4xx': 'pass',
      'shared storage: a second replica reads what the first wrote': 'pass',
    });
  });

  test('pinned URLs, one per replica: what one writes, the other reads', async () => {
    const r = recorder();

    await appChecks(r, 'local', { ...localApp(local), replicas: { pinned: local.replicaUrls } }, TIMINGS);

    const shared = r.checks.find((c) => c.name.startsWith('shared storage'));
    expect(shared?.result).toBe('pass');
    expect(shared?.evidence).toHaveLength(3);
  });

  test(
    'a replica on a volume of its own fails the shared storage check',
    async () => {
      const volume = await mkdtemp(join(tmpdir(), 'verify-apart-'));
      const apart = await startLocal(app.main, { replicas: 1, volume });
      try {
        const r = recorder();

        await appChecks(
          r,
          'local',
          { ...localApp(local), replicas: { pinned: [local.replicaUrls[0], apart.replicaUrls[0]] } },
          TIMINGS,
        );

        const shared = r.checks.find((c) => c.name.startsWith('shared storage'));
        expect(shared?.result).toBe('fail');
        expect(shared?.reason).toMatch(/^local \d+ does not list entry /);
      } finally {
        await apart.stop();
        await rm(volume, { recursive: true, force: true });
      }
    },
    STARTUP_MS,
  );

  test('the evidence names status codes and the two writers', async () => {
    const r = recorder();

    await appChecks(r, 'local', localApp(local), TIMINGS);

    const evidence = (name: string) => r.checks.find((c) => c.name === name)?.evidence.join('\n');
    expect(evidence('bad input answered 4xx')).toMatch(
      /empty name and message: 400\nmalformed JSON: 400\na body far over the size limit: 413/,
    );
    expect(evidence('shared storage: a second replica reads what the first wrote')).toMatch(
      /entries written by local \d+ and by local \d+, both listed in one read/,
    );
  });
});

test('nothing listening: /healthz fails after its bound and no further check runs', async () => {
  const r = recorder();

  await appChecks(
    r,
    'local',
    { url: 'http://127.0.0.1:9/', platforms: ['local'], volume: true },
    { ...TIMINGS, readyMs: 100 },
  );

  expect(r.checks).toEqual([
    expect.objectContaining({
      name: 'GET /healthz answers 200',
      result: 'fail',
      reason: expect.stringMatching(/ECONNREFUSED/),
    }),
  ]);
});

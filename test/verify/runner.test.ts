// The runner's contract: a check passes, fails with one line or is skipped; polls are bounded and stop
// on Ctrl-C; the report lists every check and each stack's deploy and destroy time.
import { Interrupted, poll, Recorder, Skip, VerifyError } from '../../tools/verify/runner';
import { formatCheck, markdown, summary } from '../../tools/verify/report';
import { fakeClock } from './support/fakes';

const recorder = (signal = new AbortController().signal) => new Recorder(fakeClock(), signal);

test('a check records its result, time, evidence and, when it did not pass, one line of reason', async () => {
  const r = recorder();

  await r.check('ecs', 'live', 'passes', async ({ evidence, clock }) => {
    evidence('200');
    await clock.sleep(1500);
  });
  await r.check('ecs', 'live', 'fails', async () => {
    throw new VerifyError('expected 200, got 502', ['GET / 502']);
  });
  await r.check('ecs', 'live', 'skipped', async () => {
    throw new Skip('no volume here');
  });

  expect(r.checks).toEqual([
    {
      target: 'ecs',
      step: 'live',
      name: 'passes',
      result: 'pass',
      ms: 1500,
      evidence: ['200'],
      reason: undefined,
    },
    {
      target: 'ecs',
      step: 'live',
      name: 'fails',
      result: 'fail',
      ms: 0,
      evidence: ['GET / 502'],
      reason: 'expected 200, got 502',
    },
    {
      target: 'ecs',
      step: 'live',
      name: 'skipped',
      result: 'skip',
      ms: 0,
      evidence: [],
      reason: 'no volume here',
    },
  ]);
  expect(r.passed()).toBe(false);
});

test('a poll gives up at its bound, quoting the last state it saw', async () => {
  const context = { clock: fakeClock(), signal: new AbortController().signal };
  let attempts = 0;

  const polled = poll(
    context,
    { timeoutMs: 60_000, intervalMs: 15_000, what: 'service steady' },
    async (state) => {
      state(`attempt ${++attempts}`);
      return undefined;
    },
  );

  await expect(polled).rejects.toThrow('service steady: not within 60.0 s; last: attempt 5');
});

test('Ctrl-C stops a poll at once, and the check that ran it is recorded before the run stops', async () => {
  const interrupt = new AbortController();
  const r = recorder(interrupt.signal);

  const checked = r.check('eks', 'live', 'waits', (context) =>
    poll(context, { timeoutMs: 600_000, intervalMs: 1000, what: 'never' }, async () => {
      interrupt.abort();
      return undefined;
    }),
  );

  await expect(checked).rejects.toBeInstanceOf(Interrupted);
  expect(r.checks[0]).toMatchObject({ name: 'waits', result: 'fail', reason: 'interrupted (Ctrl-C)' });
});

describe('the report', () => {
  const checks = [
    {
      target: 'ecs',
      step: 'deploy',
      name: 'deploy coa-ecs',
      result: 'pass' as const,
      ms: 412_000,
      evidence: [],
    },
    {
      target: 'ecs',
      step: 'live',
      name: 'GET /healthz | answers 200',
      result: 'fail' as const,
      ms: 20,
      evidence: ['x'],
      reason: '502',
    },
    {
      target: 'ecs',
      step: 'destroy',
      name: 'destroy coa-ecs',
      result: 'pass' as const,
      ms: 305_000,
      evidence: [],
    },
  ];
  const report = {
    command: 'npm run verify -- ecs',
    startedAt: '2026-12-01T20:00:00.000Z',
    checks,
    exitCode: 1,
  };

  test('the summary: every check, then deploy and destroy time per stack, then the counts', () => {
    expect(summary(report).split('\n')).toEqual([
      'Target  Step     Check                       Result  Time',
      'ecs     deploy   deploy coa-ecs              PASS    6 min 52 s',
      'ecs     live     GET /healthz | answers 200  FAIL    20 ms',
      'ecs     destroy  destroy coa-ecs             PASS    5 min 5 s',
      '',
      'Stack    Deploy      Destroy',
      'coa-ecs  6 min 52 s  5 min 5 s',
      '',
      'verify: 2 passed, 1 failed, 0 skipped',
    ]);
  });

  test('Markdown keeps a pipe in a name inside its cell', () => {
    expect(markdown(report)).toContain(
      '| ecs | live | GET /healthz \\| answers 200 | FAIL | 20 ms | 502<br>x |',
    );
  });

  test('a failed check prints its reason and evidence under it', () => {
    expect(formatCheck(checks[1])).toBe(
      'FAIL  ecs · live · GET /healthz | answers 200 (20 ms)\n      502\n      x',
    );
  });
});

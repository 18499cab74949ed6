import { loadConfig } from '../lib/config';
import { problems } from './support/config';
import { PRODUCTION_HTTPS } from './support/production';

const PRODUCTION = { stage: 'production', account: '123456789012', region: 'eu-west-1', ...PRODUCTION_HTTPS };

describe('ECS patterns defaults', () => {
  test('sandbox: daily pruning at 03:00 UTC of entries older than a week, up to two workers', () => {
    expect(loadConfig({}).ecsPatterns).toEqual({
      pruneSchedule: 'cron(0 3 * * ? *)',
      pruneTimeZone: 'UTC',
      guestbookMaxAgeDays: 7,
      maxObjectMiB: 10,
      workerMaxTasks: 2,
      alarmEmail: undefined,
    });
  });

  test('production: entries kept for a year, up to ten workers', () => {
    expect(loadConfig(PRODUCTION).ecsPatterns).toMatchObject({
      guestbookMaxAgeDays: 365,
      workerMaxTasks: 10,
    });
  });

  test('-c values arrive as strings and are parsed like JSON ones', () => {
    const config = loadConfig({
      ecsPatternsPruneSchedule: 'rate(12 hours)',
      ecsPatternsPruneTimeZone: 'America/Argentina/Buenos_Aires',
      ecsPatternsGuestbookMaxAgeDays: '30',
      ecsPatternsMaxObjectMiB: '100',
      ecsPatternsWorkerMaxTasks: '5',
      alarmEmail: 'ops@example.com',
    });
    expect(config.ecsPatterns).toEqual({
      pruneSchedule: 'rate(12 hours)',
      pruneTimeZone: 'America/Argentina/Buenos_Aires',
      guestbookMaxAgeDays: 30,
      maxObjectMiB: 100,
      workerMaxTasks: 5,
      alarmEmail: 'ops@example.com',
    });
  });

  test.each(['rate(1 minute)', 'rate(15 minutes)', 'rate(1 day)', 'cron(0/30 8-18 ? * MON-FRI *)'])(
    'the schedule %s is accepted',
    (expression) => {
      expect(problems({ ecsPatternsPruneSchedule: expression })).toEqual([]);
    },
  );

  test('ecs and ecsPatterns together, or ecs alone, are fine', () => {
    expect(problems({ platforms: 'ecs,ecsPatterns' })).toEqual([]);
    expect(problems({ platforms: 'ecs' })).toEqual([]);
  });
});

describe('each bad value is reported with its key, the value and what is allowed', () => {
  test.each([
    [
      { platforms: 'ecsPatterns' },
      'platforms: got ecsPatterns without ecs; the ECS patterns run on the ECS stack\'s cluster and share its guestbook volume: add "ecs", or drop "ecsPatterns"',
    ],
    [{ platforms: 'eks,ecsPatterns' }, 'platforms: got ecsPatterns without ecs;'],
    [{ ecsPatternsPruneSchedule: '0 3 * * *' }, 'ecsPatternsPruneSchedule: got "0 3 * * *"; allowed: cron('],
    [
      { ecsPatternsPruneSchedule: 'cron(0 3 * * ?)' },
      'ecsPatternsPruneSchedule: got "cron(0 3 * * ?)"; allowed: cron(',
    ],
    [
      { ecsPatternsPruneSchedule: 'rate(1 hours)' },
      'ecsPatternsPruneSchedule: got "rate(1 hours)"; allowed:',
    ],
    [{ ecsPatternsPruneSchedule: 'rate(5 hour)' }, 'ecsPatternsPruneSchedule: got "rate(5 hour)"; allowed:'],
    [
      { ecsPatternsPruneSchedule: 'at(2026-12-01T03:00:00)' },
      'ecsPatternsPruneSchedule: got "at(2026-12-01T03:00:00)"',
    ],
    [
      { ecsPatternsPruneTimeZone: 'Mars/Olympus_Mons' },
      'ecsPatternsPruneTimeZone: got "Mars/Olympus_Mons"; allowed: an IANA time zone such as UTC or Europe/Berlin',
    ],
    [{ ecsPatternsPruneTimeZone: 'utc' }, 'ecsPatternsPruneTimeZone: got "utc"'],
    [
      { ecsPatternsGuestbookMaxAgeDays: 0 },
      'ecsPatternsGuestbookMaxAgeDays: got 0; allowed: a whole number from 1 to 36500',
    ],
    [
      { ecsPatternsMaxObjectMiB: 2048 },
      'ecsPatternsMaxObjectMiB: got 2048; allowed: a whole number from 1 to 1024',
    ],
    [
      { ecsPatternsWorkerMaxTasks: '0' },
      'ecsPatternsWorkerMaxTasks: got "0"; allowed: a whole number from 1 to 100',
    ],
    [{ alarmEmail: 'ops' }, 'alarmEmail: got "ops"; allowed: an e-mail address'],
    [
      { ecsPatternWorkerMaxTasks: 3 },
      'ecsPatternWorkerMaxTasks: unknown key; did you mean "ecsPatternsWorkerMaxTasks"?',
    ],
  ])('%j', (context, expected) => {
    const found = problems(context);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });
});

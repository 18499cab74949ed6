import type { CommonConfig } from './common';
import { integer, matching, textWhere, type Reader } from './reader';

/** The ECS solution architectures (lib/ecs-patterns-stack.ts), on the ECS stack's cluster. */
export interface EcsPatternsConfig {
  /** When the guestbook prune task runs: an EventBridge Scheduler cron() or rate() expression. */
  readonly pruneSchedule: string;
  /** The IANA time zone `pruneSchedule` is read in, e.g. Europe/Berlin. */
  readonly pruneTimeZone: string;
  /** The prune task deletes guestbook entries older than this. */
  readonly guestbookMaxAgeDays: number;
  /** The S3-triggered task refuses objects larger than this. */
  readonly maxObjectMiB: number;
  /** The queue worker scales from zero up to this many tasks. */
  readonly workerMaxTasks: number;
  /** Subscribed to the alerts topic (stopped tasks, dead letters); confirm the e-mail AWS sends. */
  readonly alarmEmail?: string;
}

/** EventBridge Scheduler's recurring expressions: six cron fields, or a rate whose unit is singular for 1. */
const SCHEDULE_EXPRESSION =
  /^(cron\((\S+ ){5}\S+\)|rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\))$/;

/** An IANA zone name as EventBridge Scheduler takes it: `UTC` or `Area/Location`, known to the ICU database. */
function isTimeZone(name: string): boolean {
  if (!/^(UTC|[A-Z][A-Za-z_]*(\/[A-Za-z0-9_+-]+)+)$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function readEcsPatterns(r: Reader, { stage }: CommonConfig): EcsPatternsConfig {
  const production = stage === 'production';
  return {
    pruneSchedule: r.read(
      'ecsPatternsPruneSchedule',
      'cron(0 3 * * ? *)',
      matching(
        SCHEDULE_EXPRESSION,
        'cron(minutes hours day-of-month month day-of-week year) or rate(value unit), e.g. rate(12 hours)',
      ),
    ),
    pruneTimeZone: r.read(
      'ecsPatternsPruneTimeZone',
      'UTC',
      textWhere(isTimeZone, 'an IANA time zone such as UTC or Europe/Berlin'),
    ),
    guestbookMaxAgeDays: r.read('ecsPatternsGuestbookMaxAgeDays', production ? 365 : 7, integer(1, 36_500)),
    maxObjectMiB: r.read('ecsPatternsMaxObjectMiB', 10, integer(1, 1024)),
    workerMaxTasks: r.read('ecsPatternsWorkerMaxTasks', production ? 10 : 2, integer(1, 100)),
    alarmEmail: r.optional('alarmEmail', matching(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address')),
  };
}

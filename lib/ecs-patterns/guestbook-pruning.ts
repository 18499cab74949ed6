import { Duration, TimeZone } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EcsPatternsConfig } from '../config';
import type { EfsGuestbook } from '../ecs/guestbook-volume';
import type { SampleAppImage } from '../sample-app';
import type { StagePolicy } from '../stage';
import { JobTask } from './job-task';

export interface GuestbookPruningProps {
  readonly cluster: ecs.ICluster;
  readonly image: SampleAppImage;
  readonly logGroup: logs.ILogGroup;
  readonly guestbook: EfsGuestbook;
  readonly config: EcsPatternsConfig;
  readonly policy: StagePolicy;
  /** Where the scheduler puts the runs it could not start. */
  readonly failedInvocations: sqs.IQueue;
}

/**
 * Seeds: "ECS tasks invoked by EventBridge Scheduler". A schedule runs the `prune` command on Fargate
 * with the ECS stack's guestbook volume mounted: it deletes entries older than
 * `ecsPatternsGuestbookMaxAgeDays`.
 *
 * EventBridge Scheduler rather than a scheduled EventBridge rule: a rule's cron runs in UTC, a
 * schedule's in the time zone you name (daylight saving included), and each schedule has its own
 * retry policy and dead-letter queue. Scheduled rules still work; AWS points new schedules here.
 */
export class GuestbookPruning extends Construct {
  readonly task: JobTask;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: GuestbookPruningProps) {
    super(scope, id);
    const { cluster, config } = props;

    this.task = new JobTask(this, 'Task', {
      vpc: cluster.vpc,
      image: props.image,
      command: 'prune',
      purpose: 'mount the guestbook volume',
      logGroup: props.logGroup,
      environment: { MAX_AGE_DAYS: String(config.guestbookMaxAgeDays) },
    });
    this.task.mountGuestbook(props.guestbook);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Deletes guestbook entries older than ${config.guestbookMaxAgeDays} days`,
      schedule: scheduler.ScheduleExpression.expression(
        config.pruneSchedule,
        TimeZone.of(config.pruneTimeZone),
      ),
      target: new schedulerTargets.EcsRunFargateTask(cluster, {
        taskDefinition: this.task.taskDefinition,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [this.task.securityGroup],
        assignPublicIp: false,
        // Fargate Spot where the stage allows it, at a discount. Pruning can be interrupted at any
        // file and simply finishes on the next run.
        capacityProviderStrategies: [
          { capacityProvider: props.policy.fargateSpot ? 'FARGATE_SPOT' : 'FARGATE', weight: 1 },
        ],
        retryAttempts: 3,
        // a run that could not start within the hour waits for the next one
        maxEventAge: Duration.hours(1),
        deadLetterQueue: props.failedInvocations,
      }),
    });
  }
}

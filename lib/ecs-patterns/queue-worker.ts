import { Duration, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EfsGuestbook } from '../ecs/guestbook-volume';
import type { SampleAppImage } from '../sample-app';
import type { StagePolicy } from '../stage';
import { JobTask } from './job-task';

/** A message is received this often before SQS moves it to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;
/**
 * CT.SQS.PR.1 wants a dead-letter queue behind every queue, and takes a queue with this redrive-allow
 * policy for a dead-letter queue itself. `allowAll` is SQS's default, written out; `byQueue` would have
 * to name the source queue, whose redrive policy names this one: a cycle CloudFormation cannot create.
 * Each dead-letter queue is alarmed in lib/ecs-patterns-stack.ts (DeadLetters).
 */
export const DEAD_LETTER_QUEUE: sqs.RedriveAllowPolicy = {
  redrivePermission: sqs.RedrivePermission.ALLOW_ALL,
};

/** From this backlog on, the service runs all the tasks it may. */
export const BACKLOG_FOR_MAX_TASKS = 100;

export interface QueueWorkerProps {
  readonly cluster: ecs.ICluster;
  readonly image: SampleAppImage;
  readonly logGroup: logs.ILogGroup;
  readonly guestbook: EfsGuestbook;
  readonly policy: StagePolicy;
  readonly maxTasks: number;
}

/**
 * Seeds: "ECS - SQS queue example". A Fargate service whose tasks take guestbook entries from an SQS
 * queue (the `worker` command) and write them to the shared volume, scaled on the queue's backlog and
 * to zero tasks when the queue is empty.
 */
export class QueueWorker extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly service: ecs.FargateService;

  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
    super(scope, id);
    const { cluster, policy, maxTasks } = props;

    // Encrypted at rest with SQS-managed keys, and only over TLS.
    const queueBasics = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: policy.dataRemovalPolicy,
    };
    // The dead-letter queue keeps what the worker could not handle for the longest SQS allows: time to
    // look, fix, and move the messages back (a redrive in the console). Longer than the queue's own
    // retention, because a message keeps its first enqueue time when it moves.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...queueBasics,
      retentionPeriod: Duration.days(14),
      redriveAllowPolicy: DEAD_LETTER_QUEUE,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This is the dead-letter queue of the worker queue; its messages stay until someone redrives them',
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...queueBasics,
      retentionPeriod: Duration.days(4),
      // How long a received message stays hidden: far beyond the few milliseconds one entry takes, so a
      // slow write is never handed to a second task; and a failed message is retried after a minute.
      visibilityTimeout: Duration.seconds(60),
      // A poison message is tried five times (about five minutes), then set aside, never blocking the rest.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    const task = new JobTask(this, 'Task', {
      vpc: cluster.vpc,
      image: props.image,
      command: 'worker',
      purpose: 'consume the queue, mount the guestbook volume',
      logGroup: props.logGroup,
      environment: { QUEUE_URL: this.queue.queueUrl },
    });
    task.mountGuestbook(props.guestbook);
    this.queue.grantConsumeMessages(task.taskDefinition.taskRole);

    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: task.taskDefinition,
      // Idle is free: no task until the backlog alarm asks for one. A deployment that updates the
      // service sets the count back to zero; within a minute the alarm brings back what the backlog needs.
      desiredCount: 0,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [task.securityGroup],
      assignPublicIp: false,
      // Fargate Spot where the stage allows it. An interruption is a SIGTERM two minutes ahead: the
      // worker finishes its message and hands the rest back, so the queue loses nothing.
      capacityProviderStrategies: [
        { capacityProvider: policy.fargateSpot ? 'FARGATE_SPOT' : 'FARGATE', weight: 1 },
      ],
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });

    // Scaling on the backlog, from zero. Target tracking keeps a metric per task at a target, and with
    // no task running there is nothing to divide by: it cannot start the first task. Step scaling
    // reacts to an alarm on the queue itself, so it can: exact task counts per backlog band.
    // Backlog = waiting + in flight: messages being handled are not visible, and counting only the
    // visible ones would scale in the task that is handling them.
    const perMinute = { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM };
    const backlog = new cloudwatch.MathExpression({
      expression: 'waiting + inFlight',
      usingMetrics: {
        waiting: this.queue.metricApproximateNumberOfMessagesVisible(perMinute),
        inFlight: this.queue.metricApproximateNumberOfMessagesNotVisible(perMinute),
      },
      label: 'Messages waiting or in flight',
      period: Duration.minutes(1),
    });
    this.service.autoScaleTaskCount({ minCapacity: 0, maxCapacity: maxTasks }).scaleOnMetric('Backlog', {
      metric: backlog,
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      // the counts are whole numbers: 0.5 separates "empty" from "one message" without an equality case
      scalingSteps: [
        { upper: 0.5, change: 0 },
        { lower: 0.5, upper: BACKLOG_FOR_MAX_TASKS, change: 1 },
        { lower: BACKLOG_FOR_MAX_TASKS, change: maxTasks },
      ],
      evaluationPeriods: 1,
      cooldown: Duration.minutes(1),
    });
  }
}

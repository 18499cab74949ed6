import { CfnOutput, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EcsPatternsConfig } from './config';
import type { EfsGuestbook } from './ecs/guestbook-volume';
import { GuestbookPruning } from './ecs-patterns/guestbook-pruning';
import { INPUT_PREFIX, ObjectSummaries, RESULTS_PREFIX } from './ecs-patterns/object-summaries';
import { DEAD_LETTER_QUEUE, QueueWorker } from './ecs-patterns/queue-worker';
import { StoppedTaskAlerts } from './ecs-patterns/stopped-task-alerts';
import type { SampleAppImage } from './sample-app';
import type { StagePolicy } from './stage';

export interface EcsPatternsStackProps extends StackProps {
  readonly config: EcsPatternsConfig;
  readonly policy: StagePolicy;
  readonly image: SampleAppImage;
  /** The ECS stack's cluster: every task here runs in it, next to the web app's services. */
  readonly cluster: ecs.ICluster;
  /** The ECS stack's guestbook volume, which the prune task and the worker mount. */
  readonly guestbook: EfsGuestbook;
}

/**
 * The "Amazon ECS - Solution Architectures" of the concept map, on the ECS stack's cluster with the sample app
 * image, each command of the image a task of its own:
 * 1. ECS tasks invoked by EventBridge: an S3 upload runs a task that summarizes the object.
 * 2. ECS tasks invoked by EventBridge Scheduler: a daily task prunes old guestbook entries.
 * 3. SQS queue example: a service that scales with a queue's backlog, from zero.
 * 4. Intercept stopped tasks using EventBridge: failed tasks of the cluster are sent to SNS.
 */
export class EcsPatternsStack extends Stack {
  readonly objectSummaries: ObjectSummaries;
  readonly guestbookPruning: GuestbookPruning;
  readonly queueWorker: QueueWorker;
  readonly stoppedTaskAlerts: StoppedTaskAlerts;

  constructor(scope: Construct, id: string, props: EcsPatternsStackProps) {
    super(scope, id, props);
    const { config, policy, image, cluster, guestbook } = props;

    // Shared by every task: one log group, a stream prefix per command.
    const logGroup = new logs.LogGroup(this, 'TaskLogs', {
      retention: policy.logRetention,
      removalPolicy: policy.logRemovalPolicy,
    });
    // Events that EventBridge could not turn into a task (RunTask kept failing) end up here, from the
    // S3 rule and from the schedule alike: the dead-letter alarm below reports them.
    const failedInvocations = new sqs.Queue(this, 'FailedInvocations', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: policy.dataRemovalPolicy,
      redriveAllowPolicy: DEAD_LETTER_QUEUE,
    });
    Validations.of(failedInvocations).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This is the dead-letter queue of the EventBridge rule and schedule targets; nothing consumes it',
    });

    this.objectSummaries = new ObjectSummaries(this, 'ObjectSummaries', {
      cluster,
      image,
      logGroup,
      policy,
      maxObjectMiB: config.maxObjectMiB,
      failedInvocations,
    });
    this.guestbookPruning = new GuestbookPruning(this, 'GuestbookPruning', {
      cluster,
      image,
      logGroup,
      guestbook,
      config,
      policy,
      failedInvocations,
    });
    this.queueWorker = new QueueWorker(this, 'QueueWorker', {
      cluster,
      image,
      logGroup,
      guestbook,
      policy,
      maxTasks: config.workerMaxTasks,
    });
    this.stoppedTaskAlerts = new StoppedTaskAlerts(this, 'StoppedTaskAlerts', {
      cluster,
      policy,
      alarmEmail: config.alarmEmail,
    });

    // A message in a dead-letter queue is work that did not happen: say so on the alerts topic.
    const deadLetters = (queue: sqs.IQueue) =>
      queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      });
    const deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetters', {
      alarmDescription:
        'Messages in a dead-letter queue: entries the queue worker could not add, or events EventBridge could not turn into tasks',
      metric: new cloudwatch.MathExpression({
        expression: 'worker + invocations',
        usingMetrics: {
          worker: deadLetters(this.queueWorker.deadLetterQueue),
          invocations: deadLetters(failedInvocations),
        },
        label: 'Dead letters',
        period: Duration.minutes(5),
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      // an idle queue publishes no data points: that is no dead letter
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.stoppedTaskAlerts.notifyOn(deadLetterAlarm);

    new CfnOutput(this, 'UploadTo', {
      value: `s3://${this.objectSummaries.bucket.bucketName}/${INPUT_PREFIX}`,
      description: `Upload a text file here; its summary appears under ${RESULTS_PREFIX}`,
    });
    new CfnOutput(this, 'QueueUrl', {
      value: this.queueWorker.queue.queueUrl,
      description: 'Send {"name": "...", "message": "..."}: the worker adds it to the guestbook',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.queueWorker.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlertsTopicArn', { value: this.stoppedTaskAlerts.topic.topicArn });
  }
}

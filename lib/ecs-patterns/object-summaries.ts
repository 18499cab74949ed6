import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  accessLogBucket,
  acknowledgeNoObjectLock,
  BUCKET_DEFAULTS,
  lifecycleRules,
} from '../access-log-bucket';
import { acknowledgeControlTowerRule } from '../control-tower-acknowledgments';
import { customerManagedKey } from '../customer-managed-keys';
import type { SampleAppImage } from '../sample-app';
import type { StagePolicy } from '../stage';
import { JobTask } from './job-task';

/** Uploads go here; each one starts a task. */
export const INPUT_PREFIX = 'incoming/';
/** Summaries go here: outside the input prefix, so a result never starts another task. */
export const RESULTS_PREFIX = 'results/';

export interface ObjectSummariesProps {
  readonly cluster: ecs.ICluster;
  readonly image: SampleAppImage;
  readonly logGroup: logs.ILogGroup;
  readonly policy: StagePolicy;
  readonly maxObjectMiB: number;
  /** Where EventBridge puts the events it could not turn into a task. */
  readonly failedInvocations: sqs.IQueue;
}

/**
 * Seeds: "ECS tasks invoked by EventBridge". An object uploaded under `incoming/` makes S3 send an
 * "Object Created" event to EventBridge; a rule matches it and runs one Fargate task, handing it the
 * bucket and key as container environment overrides. The task (`summarize-object`) writes a JSON
 * summary of the object under `results/`.
 */
export class ObjectSummaries extends Construct {
  readonly bucket: s3.Bucket;
  readonly task: JobTask;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ObjectSummariesProps) {
    super(scope, id);
    const { cluster, policy } = props;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...BUCKET_DEFAULTS,
      ...(policy.bucketKeys
        ? {
            encryption: s3.BucketEncryption.KMS,
            encryptionKey: customerManagedKey(this, 'Key', 'Objects of the ObjectSummaries bucket', policy),
            // one data key per bucket for a while, not one KMS request per object
            bucketKeyEnabled: true,
          }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      lifecycleRules: lifecycleRules(),
      removalPolicy: policy.dataRemovalPolicy,
      // sandbox: `cdk destroy` empties the bucket first (a custom resource), or deleting it would fail
      autoDeleteObjects: policy.emptyOnDelete,
      serverAccessLogsBucket: policy.accessLogs ? accessLogBucket(this, 'AccessLogs', policy) : undefined,
      serverAccessLogsPrefix: policy.accessLogs ? 'uploads/' : undefined,
    });
    acknowledgeNoObjectLock(this.bucket);
    if (!policy.bucketKeys) {
      acknowledgeControlTowerRule(
        this.bucket,
        's3_bucket_default_encryption_kms_check',
        'Sandbox: SSE-S3 rather than a customer managed key (bucketKeys), one less key to pay for',
      );
    }
    if (!policy.accessLogs) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Sandbox: no access-log bucket to outlive cdk destroy; the production stage logs object access to S3',
      });
      acknowledgeControlTowerRule(
        this.bucket,
        's3_bucket_logging_enabled_check',
        'Sandbox: no access-log bucket to outlive cdk destroy; the production stage logs object access to S3',
      );
    }
    // EventBridge notifications: S3 sends every event of this bucket to the account's default event
    // bus, where rules pick what they want. Set on the bucket itself: CDK's `eventBridgeEnabled` sets the
    // same through a custom resource and its Lambda function.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    this.task = new JobTask(this, 'Task', {
      vpc: cluster.vpc,
      image: props.image,
      command: 'summarize-object',
      purpose: `read ${INPUT_PREFIX}, write ${RESULTS_PREFIX}`,
      logGroup: props.logGroup,
      environment: {
        INPUT_PREFIX,
        RESULTS_PREFIX,
        MAX_OBJECT_BYTES: String(props.maxObjectMiB * 1024 * 1024),
      },
    });
    // Task role: read the input prefix, write the results prefix, nothing else. Without
    // s3:ListBucket, S3 answers a missing key with 403 rather than 404; the job says it may be either.
    const taskRole = this.task.taskDefinition.taskRole;
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${INPUT_PREFIX}*`)],
      }),
    );
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${RESULTS_PREFIX}*`)],
      }),
    );
    // SSE-KMS: reading an object decrypts its data key, writing one makes a data key
    this.bucket.encryptionKey?.grant(taskRole, 'kms:Decrypt', 'kms:GenerateDataKey');
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(taskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${INPUT_PREFIX}*]`,
      reason: 'Reads any object under the input prefix: which one arrives is only known when the event does',
    });
    Validations.of(taskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${RESULTS_PREFIX}*]`,
      reason: 'Writes a summary under the results prefix, named after the object it summarizes',
    });

    const { taskDefinition, container, securityGroup } = this.task;
    // EventBridge starts the task with this role: RunTask of this task definition in this cluster, and
    // handing the task its two roles. CDK's EcsTask target would add ecs:TagResource on every task of
    // the cluster, for tags we do not ask for; given an immutable role, it adds nothing.
    const runTaskRole = new iam.Role(this, 'RunTaskRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'EventBridge runs the summarize-object task with this role',
    });
    runTaskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [taskDefinition.taskDefinitionArn],
        conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
      }),
    );
    runTaskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [taskDefinition.taskRole.roleArn, taskDefinition.obtainExecutionRole().roleArn],
        conditions: { StringLike: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    this.rule = new events.Rule(this, 'ObjectCreated', {
      description: `An object created under s3://<bucket>/${INPUT_PREFIX} runs the summarize-object task`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [this.bucket.bucketName] },
          object: { key: events.Match.prefix(INPUT_PREFIX) },
        },
      },
      targets: [
        new targets.EcsTask({
          cluster,
          taskDefinition,
          role: iam.Role.fromRoleArn(this, 'RunTaskRoleAsIs', runTaskRole.roleArn, { mutable: false }),
          launchType: ecs.LaunchType.FARGATE,
          subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          securityGroups: [securityGroup],
          assignPublicIp: false,
          // an input transformer: EventBridge fills these in from each event
          containerOverrides: [
            {
              containerName: container.containerName,
              environment: [
                { name: 'BUCKET', value: events.EventField.fromPath('$.detail.bucket.name') },
                { name: 'KEY', value: events.EventField.fromPath('$.detail.object.key') },
              ],
            },
          ],
          // RunTask can fail for a while (no Fargate capacity, throttling): retry, then keep the event
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: props.failedInvocations,
        }),
      ],
    });
  }
}

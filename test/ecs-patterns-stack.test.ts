import type { CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PRODUCTION_HTTPS } from './support/production';
import { STAGES, synthesize } from './support/synth';
import { actionsOf, logicalIdAt, resourceAt, resourcesOf, statementsOfRoleAt } from './support/template';

/** Production names its environment and HTTPS certificate (the ECS stack needs them) and sets the optional keys. */
const CONTEXTS = {
  sandbox: { stage: 'sandbox' },
  production: {
    stage: 'production',
    account: '123456789012',
    region: 'eu-west-1',
    alarmEmail: 'ops@example.com',
    ecsPatternsPruneTimeZone: 'Europe/Berlin',
    ...PRODUCTION_HTTPS,
  },
};
type Stage = (typeof STAGES)[number];

function build(stage: Stage) {
  const { stacks } = synthesize({ ...CONTEXTS[stage], platforms: 'ecs,ecsPatterns' });
  const stack = stacks.ecsPatterns!;
  // Annotations synthesizes the app (forced), so it goes first; the template reuses that assembly.
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
  // cdk-nag on this stack alone; test/whole-app.test.ts checks the whole app.
  const nag = new AwsSolutionsChecks().validateScope(stack);
  const clusterId = stacks.ecs!.getLogicalId(stacks.ecs!.cluster.node.defaultChild as CfnElement);
  return { stack, warnings, nag, clusterId, template: Template.fromStack(stack) };
}
const built = { sandbox: build('sandbox'), production: build('production') };
type Built = (typeof built)[Stage];

// ---- helpers reading one template -------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation JSON */
/** The one container of the task definition at `path`. */
function containerOf(v: Built, path: string): any {
  const [container] = resourceAt(v, path).Properties.ContainerDefinitions;
  return container;
}

function environmentOf(container: any): Record<string, unknown> {
  return Object.fromEntries(container.Environment.map((e: any) => [e.Name, e.Value]));
}

const ref = (v: Built, path: string) => ({ Ref: logicalIdAt(v, path) });
const arnOf = (v: Built, path: string) => ({ 'Fn::GetAtt': [logicalIdAt(v, path), 'Arn'] });
const objectsUnder = (v: Built, prefix: string) => ({
  'Fn::Join': ['', [arnOf(v, 'ObjectSummaries/Bucket'), `/${prefix}*`]],
});
/** The ECS stack's cluster ARN, as this stack reads it. */
const clusterArn = (v: Built) => ({
  'Fn::ImportValue': expect.stringMatching(`^coa-ecs:ExportsOutputFnGetAtt${v.clusterId}Arn`),
});
/** A value of the ECS stack, as this stack reads it: an export (a strong reference). */
const fromEcsStack = { 'Fn::ImportValue': expect.stringMatching(/^coa-ecs:/) };
/** The network stack's private subnets: one per AZ, three in production (which names its environment). */
const privateSubnets = (stage: Stage) =>
  (stage === 'production' ? [1, 2, 3] : [1, 2]).map((az) => ({
    'Fn::GetStackOutput': expect.objectContaining({
      StackName: 'coa-network',
      OutputName: expect.stringMatching(`privateSubnet${az}`),
    }),
  }));
const TASKS = ['ObjectSummaries/Task', 'GuestbookPruning/Task', 'QueueWorker/Task'];

// ---- 1. ECS tasks invoked by EventBridge ---------------------------------------------------

describe('1. an S3 upload runs a Fargate task through EventBridge', () => {
  test.each(STAGES)(
    '%s: the bucket sends its events to EventBridge itself, without a custom resource',
    (stage) => {
      const v = built[stage];
      expect(resourceAt(v, 'ObjectSummaries/Bucket').Properties.NotificationConfiguration).toEqual({
        EventBridgeConfiguration: { EventBridgeEnabled: true },
      });
      v.template.resourceCountIs('Custom::S3BucketNotifications', 0);
    },
  );

  test.each(STAGES)('%s: the bucket is encrypted, private, and refuses requests without TLS', (stage) => {
    const v = built[stage];
    expect(resourceAt(v, 'ObjectSummaries/Bucket').Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: stage === 'production' ? 'aws:kms' : 'AES256' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    v.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(v, 'ObjectSummaries/Bucket'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('sandbox: cdk destroy empties and deletes the bucket; no access-log bucket', () => {
    const v = built.sandbox;
    expect(resourceAt(v, 'ObjectSummaries/Bucket').DeletionPolicy).toBe('Delete');
    v.template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    expect(resourceAt(v, 'ObjectSummaries/Bucket').Properties.LoggingConfiguration).toBeUndefined();
    v.template.resourceCountIs('AWS::S3::Bucket', 1);
  });

  test('production: the bucket is retained and logs object access to a retained log bucket', () => {
    const v = built.production;
    expect(resourceAt(v, 'ObjectSummaries/Bucket').DeletionPolicy).toBe('Retain');
    v.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    expect(resourceAt(v, 'ObjectSummaries/Bucket').Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: ref(v, 'ObjectSummaries/AccessLogs'),
      LogFilePrefix: 'uploads/',
    });
    expect(resourceAt(v, 'ObjectSummaries/AccessLogs')).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { LifecycleConfiguration: { Rules: [{ ExpirationInDays: 365, Status: 'Enabled' }] } },
    });
    // S3's log delivery may write there: the bucket policy grants the logging service
    v.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(v, 'ObjectSummaries/AccessLogs'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' }),
        ]),
      },
    });
  });

  test('the rule matches objects created in this bucket under incoming/ only', () => {
    const v = built.sandbox;
    expect(resourceAt(v, 'ObjectSummaries/ObjectCreated').Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: [ref(v, 'ObjectSummaries/Bucket')] },
        object: { key: [{ prefix: 'incoming/' }] },
      },
    });
  });

  test.each(STAGES)(
    '%s: the target runs the task on Fargate in private subnets, bucket and key overridden from the event',
    (stage) => {
      const v = built[stage];
      const [target] = resourceAt(v, 'ObjectSummaries/ObjectCreated').Properties.Targets;
      expect(target).toMatchObject({
        Arn: clusterArn(v),
        EcsParameters: {
          LaunchType: 'FARGATE',
          TaskCount: 1,
          TaskDefinitionArn: ref(v, 'ObjectSummaries/Task/TaskDefinition'),
          NetworkConfiguration: {
            AwsVpcConfiguration: {
              AssignPublicIp: 'DISABLED',
              Subnets: privateSubnets(stage),
              SecurityGroups: [
                { 'Fn::GetAtt': [logicalIdAt(v, 'ObjectSummaries/Task/SecurityGroup'), 'GroupId'] },
              ],
            },
          },
        },
        RoleArn: arnOf(v, 'ObjectSummaries/RunTaskRole'),
      });
      // rendered through the Match above would lose the structure of the template string: parse it
      const { InputPathsMap, InputTemplate } = target.InputTransformer;
      const overrides = JSON.parse(
        InputTemplate.replace(/<([\w-]+)>/g, (_: string, name: string) => `"${InputPathsMap[name]}"`),
      );
      expect(overrides).toEqual({
        containerOverrides: [
          {
            name: containerOf(v, 'ObjectSummaries/Task/TaskDefinition').Name,
            environment: [
              { name: 'BUCKET', value: '$.detail.bucket.name' },
              { name: 'KEY', value: '$.detail.object.key' },
            ],
          },
        ],
      });
    },
  );

  test('a RunTask that keeps failing is retried, then kept in the failed-invocations queue', () => {
    const v = built.sandbox;
    const [target] = resourceAt(v, 'ObjectSummaries/ObjectCreated').Properties.Targets;
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 });
    expect(target.DeadLetterConfig).toEqual({ Arn: arnOf(v, 'FailedInvocations') });
    v.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(v, 'FailedInvocations')],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': arnOf(v, 'ObjectSummaries/ObjectCreated') } },
          }),
        ]),
      },
    });
  });

  test("EventBridge's role may run this task definition in this cluster and pass its two roles, nothing else", () => {
    const v = built.sandbox;
    expect(statementsOfRoleAt(v, 'ObjectSummaries/RunTaskRole')).toEqual([
      {
        Effect: 'Allow',
        Action: 'ecs:RunTask',
        Resource: ref(v, 'ObjectSummaries/Task/TaskDefinition'),
        Condition: { ArnEquals: { 'ecs:cluster': clusterArn(v) } },
      },
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: [arnOf(v, 'ObjectSummaries/Task/ExecutionRole'), arnOf(v, 'ObjectSummaries/Task/TaskRole')],
        Condition: { StringLike: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
    ]);
  });

  test('the task role reads incoming/ and writes results/, and may do nothing else', () => {
    const v = built.sandbox;
    expect(statementsOfRoleAt(v, 'ObjectSummaries/Task/TaskRole')).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: objectsUnder(v, 'incoming/') },
      { Effect: 'Allow', Action: 's3:PutObject', Resource: objectsUnder(v, 'results/') },
    ]);
  });

  test('the task runs summarize-object with the prefixes and the size limit (10 MiB by default)', () => {
    const container = containerOf(built.sandbox, 'ObjectSummaries/Task/TaskDefinition');
    expect(container.Command).toEqual(['summarize-object']);
    expect(environmentOf(container)).toMatchObject({
      INPUT_PREFIX: 'incoming/',
      RESULTS_PREFIX: 'results/',
      MAX_OBJECT_BYTES: String(10 * 1024 * 1024),
    });
  });
});

// ---- 2. ECS tasks invoked by EventBridge Scheduler ------------------------------------------

describe('2. a schedule runs the prune task on the shared guestbook volume', () => {
  test.each(STAGES)('%s: EventBridge Scheduler, daily at 03:00 in the configured time zone', (stage) => {
    const v = built[stage];
    expect(resourceAt(v, 'GuestbookPruning/Schedule').Properties).toMatchObject({
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: stage === 'production' ? 'Europe/Berlin' : 'UTC',
      State: 'ENABLED',
    });
    // not a scheduled rule (the legacy way)
    v.template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: Match.anyValue() }, 0);
  });

  test.each(STAGES)(
    '%s: the target runs the task in this cluster, privately, on Spot in the sandbox',
    (stage) => {
      const v = built[stage];
      expect(resourceAt(v, 'GuestbookPruning/Schedule').Properties.Target).toMatchObject({
        Arn: clusterArn(v),
        EcsParameters: {
          TaskDefinitionArn: ref(v, 'GuestbookPruning/Task/TaskDefinition'),
          CapacityProviderStrategy: [
            { CapacityProvider: stage === 'production' ? 'FARGATE' : 'FARGATE_SPOT', Weight: 1 },
          ],
          NetworkConfiguration: {
            AwsvpcConfiguration: {
              AssignPublicIp: 'DISABLED',
              Subnets: privateSubnets(stage),
              SecurityGroups: [
                { 'Fn::GetAtt': [logicalIdAt(v, 'GuestbookPruning/Task/SecurityGroup'), 'GroupId'] },
              ],
            },
          },
        },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: arnOf(v, 'FailedInvocations') },
      });
    },
  );

  test.each(STAGES)("%s: the task runs prune with the stage's maximum age", (stage) => {
    const container = containerOf(built[stage], 'GuestbookPruning/Task/TaskDefinition');
    expect(container.Command).toEqual(['prune']);
    expect(environmentOf(container)).toMatchObject({
      MAX_AGE_DAYS: stage === 'production' ? '365' : '7',
      GUESTBOOK_DIR: '/mnt/guestbook',
    });
  });

  test("the ECS stack's guestbook is mounted through its access point, with IAM and TLS", () => {
    const v = built.sandbox;
    const [volume] = resourceAt(v, 'GuestbookPruning/Task/TaskDefinition').Properties.Volumes;
    expect(volume).toEqual({
      Name: 'guestbook',
      EFSVolumeConfiguration: {
        FilesystemId: fromEcsStack,
        TransitEncryption: 'ENABLED',
        AuthorizationConfig: {
          AccessPointId: fromEcsStack,
          IAM: 'ENABLED',
        },
      },
    });
    expect(actionsOf(statementsOfRoleAt(v, 'GuestbookPruning/Task/TaskRole'))).toEqual([
      'elasticfilesystem:ClientMount',
      'elasticfilesystem:ClientWrite',
    ]);
  });
});

// ---- 3. SQS queue worker ----------------------------------------------------------------------

describe('3. a Fargate service consumes an SQS queue, scaled on its backlog from zero', () => {
  test.each(STAGES)('%s: both queues are encrypted and refuse requests without TLS', (stage) => {
    const v = built[stage];
    for (const path of ['QueueWorker/Queue', 'QueueWorker/DeadLetterQueue', 'FailedInvocations']) {
      expect(resourceAt(v, path).Properties.SqsManagedSseEnabled).toBe(true);
      v.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(v, path)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  test('a message is hidden for 60 s while handled, and moves to the dead-letter queue after 5 receives', () => {
    const v = built.sandbox;
    expect(resourceAt(v, 'QueueWorker/Queue').Properties).toMatchObject({
      VisibilityTimeout: 60,
      MessageRetentionPeriod: 4 * 24 * 3600,
      RedrivePolicy: { deadLetterTargetArn: arnOf(v, 'QueueWorker/DeadLetterQueue'), maxReceiveCount: 5 },
    });
    // kept longer than the queue keeps messages: a message keeps its first enqueue time when it moves
    expect(resourceAt(v, 'QueueWorker/DeadLetterQueue').Properties.MessageRetentionPeriod).toBe(
      14 * 24 * 3600,
    );
  });

  test.each(STAGES)(
    '%s: the service starts with no task, on Spot in the sandbox, without public IPs',
    (stage) => {
      const v = built[stage];
      expect(resourceAt(v, 'QueueWorker/Service/Service').Properties).toMatchObject({
        DesiredCount: 0,
        CapacityProviderStrategy: [
          { CapacityProvider: stage === 'production' ? 'FARGATE' : 'FARGATE_SPOT', Weight: 1 },
        ],
        NetworkConfiguration: {
          AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', Subnets: privateSubnets(stage) },
        },
        DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
      });
      expect(containerOf(v, 'QueueWorker/Task/TaskDefinition').Command).toEqual(['worker']);
    },
  );

  test.each(STAGES)('%s: the task count scales between 0 and the configured maximum', (stage) => {
    built[stage].template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: stage === 'production' ? 10 : 2,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
  });

  test('step scaling sets exact counts: empty -> 0, any backlog -> 1, 100 messages or more -> the maximum', () => {
    const v = built.sandbox;
    const policies = Object.values(resourcesOf(v.template, 'AWS::ApplicationAutoScaling::ScalingPolicy'));
    // target tracking cannot start the first task: there is none to measure per task
    expect(policies.map((p) => p.Properties.PolicyType)).toEqual(['StepScaling', 'StepScaling']);
    expect(policies.map((p) => p.Properties.StepScalingPolicyConfiguration)).toEqual([
      {
        AdjustmentType: 'ExactCapacity',
        Cooldown: 60,
        StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: 0 }],
      },
      {
        AdjustmentType: 'ExactCapacity',
        Cooldown: 60,
        StepAdjustments: [
          { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 99.5, ScalingAdjustment: 1 },
          { MetricIntervalLowerBound: 99.5, ScalingAdjustment: 2 },
        ],
      },
    ]);
  });

  test('the scaling alarms watch the backlog (waiting + in flight) at a threshold of 0.5 messages', () => {
    const v = built.sandbox;
    const queueName = { 'Fn::GetAtt': [logicalIdAt(v, 'QueueWorker/Queue'), 'QueueName'] };
    const perMinute = (metric: string) =>
      Match.objectLike({
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: metric,
            Dimensions: [{ Name: 'QueueName', Value: queueName }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      });
    for (const [policy, operator] of [
      ['LowerPolicy', 'LessThanOrEqualToThreshold'],
      ['UpperPolicy', 'GreaterThanOrEqualToThreshold'],
    ]) {
      v.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [ref(v, `QueueWorker/Service/TaskCount/Target/Backlog/${policy}`)],
        ComparisonOperator: operator,
        Threshold: 0.5,
        EvaluationPeriods: 1,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'waiting + inFlight', ReturnData: true }),
          perMinute('ApproximateNumberOfMessagesVisible'),
          perMinute('ApproximateNumberOfMessagesNotVisible'),
        ]),
      });
    }
  });

  test('the task role consumes the queue and mounts the guestbook; it cannot send or purge', () => {
    const actions = actionsOf(statementsOfRoleAt(built.sandbox, 'QueueWorker/Task/TaskRole'));
    expect(actions).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
    );
    expect(actions).toEqual(
      expect.arrayContaining(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']),
    );
    expect(actions.filter((action) => /sqs:(SendMessage|PurgeQueue|\*)/.test(action))).toEqual([]);
  });

  test('the worker gets the queue URL', () => {
    const v = built.sandbox;
    expect(environmentOf(containerOf(v, 'QueueWorker/Task/TaskDefinition'))).toMatchObject({
      QUEUE_URL: ref(v, 'QueueWorker/Queue'),
      GUESTBOOK_DIR: '/mnt/guestbook',
    });
  });
});

// ---- 4. Intercepting stopped tasks ------------------------------------------------------------

describe('4. failed tasks of this cluster are published to an encrypted SNS topic', () => {
  test('the rule matches STOPPED tasks of this cluster with a non-zero exit, a failed start or a failed health check', () => {
    const v = built.sandbox;
    expect(resourceAt(v, 'StoppedTaskAlerts/TaskStoppedWithFailure').Properties.EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        clusterArn: [clusterArn(v)],
        lastStatus: ['STOPPED'],
        $or: [
          { containers: { exitCode: [{ 'anything-but': [0] }] } },
          { stopCode: ['TaskFailedToStart'] },
          { stoppedReason: [{ prefix: 'Task failed' }] },
        ],
      },
    });
  });

  test('EventBridge publishes a readable line to the topic, with a role that may use the key', () => {
    const v = built.sandbox;
    const [target] = resourceAt(v, 'StoppedTaskAlerts/TaskStoppedWithFailure').Properties.Targets;
    expect(target).toMatchObject({
      Arn: ref(v, 'StoppedTaskAlerts/Topic'),
      RoleArn: arnOf(v, 'StoppedTaskAlerts/TaskStoppedWithFailure/EventsRole'),
      InputTransformer: {
        InputPathsMap: expect.objectContaining({ 'detail-stoppedReason': '$.detail.stoppedReason' }),
        InputTemplate: expect.stringMatching(
          /^"ECS task stopped because something failed\. .*Reason: <detail-stoppedReason>/,
        ),
      },
    });
    expect(statementsOfRoleAt(v, 'StoppedTaskAlerts/TaskStoppedWithFailure/EventsRole')).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: ref(v, 'StoppedTaskAlerts/Topic') },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: arnOf(v, 'StoppedTaskAlerts/Key'),
      },
    ]);
  });

  test.each(STAGES)(
    '%s: the topic is encrypted with a rotated key of its own and takes TLS only',
    (stage) => {
      const v = built[stage];
      expect(resourceAt(v, 'StoppedTaskAlerts/Topic').Properties.KmsMasterKeyId).toEqual(
        arnOf(v, 'StoppedTaskAlerts/Key'),
      );
      expect(resourceAt(v, 'StoppedTaskAlerts/Key')).toMatchObject({
        Properties: { EnableKeyRotation: true, PendingWindowInDays: stage === 'production' ? 30 : 7 },
        DeletionPolicy: stage === 'production' ? 'Retain' : 'Delete',
      });
      v.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    },
  );

  test('alarmEmail subscribes an e-mail address; without it there is no subscription', () => {
    built.production.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: ref(built.production, 'StoppedTaskAlerts/Topic'),
    });
    built.sandbox.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('a message in either dead-letter queue raises an alarm on the same topic, which CloudWatch may publish to', () => {
    const v = built.sandbox;
    const alarm = resourceAt(v, 'DeadLetters').Properties;
    expect(alarm).toMatchObject({
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(v, 'StoppedTaskAlerts/Topic')],
      OKActions: [ref(v, 'StoppedTaskAlerts/Topic')],
    });
    const queuesWatched = alarm.Metrics.filter((m: any) => m.MetricStat).map(
      (m: any) => m.MetricStat.Metric.Dimensions[0].Value['Fn::GetAtt'][0],
    );
    expect(queuesWatched.sort()).toEqual(
      [logicalIdAt(v, 'FailedInvocations'), logicalIdAt(v, 'QueueWorker/DeadLetterQueue')].sort(),
    );
    v.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { ArnLike: { 'aws:SourceArn': arnOf(v, 'DeadLetters') } },
          }),
        ]),
      },
    });
    expect(resourceAt(v, 'StoppedTaskAlerts/Key').Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });
});

// ---- what every task shares ---------------------------------------------------------------------

describe('every task', () => {
  test.each(TASKS)(
    '%s: the sample image, a read-only root file system, logs to the stack log group',
    (path) => {
      const v = built.sandbox;
      const container = containerOf(v, `${path}/TaskDefinition`);
      expect(JSON.stringify(container.Image)).toContain('/coa/sample-app:');
      expect(container).toMatchObject({
        ReadonlyRootFilesystem: true,
        LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': ref(v, 'TaskLogs') } },
      });
      expect(resourceAt(v, `${path}/TaskDefinition`).Properties).toMatchObject({
        RequiresCompatibilities: ['FARGATE'],
        Cpu: '256',
        Memory: '512',
      });
    },
  );

  test.each(TASKS)('%s: a security group with nothing inbound and HTTPS out', (path) => {
    const v = built.sandbox;
    const groupId = { 'Fn::GetAtt': [logicalIdAt(v, `${path}/SecurityGroup`), 'GroupId'] };
    expect(resourceAt(v, `${path}/SecurityGroup`).Properties).toMatchObject({
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }],
    });
    expect(resourceAt(v, `${path}/SecurityGroup`).Properties.SecurityGroupIngress).toBeUndefined();
    v.template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: groupId }, 0);
  });

  test("NFS to the ECS stack's file system is opened from this stack, for the two tasks that mount it", () => {
    const v = built.sandbox;
    const ingress = Object.values(resourcesOf(v.template, 'AWS::EC2::SecurityGroupIngress')).map(
      (r) => r.Properties,
    );
    expect(ingress).toEqual(
      ['GuestbookPruning/Task', 'QueueWorker/Task'].map((path) =>
        expect.objectContaining({
          GroupId: fromEcsStack,
          SourceSecurityGroupId: { 'Fn::GetAtt': [logicalIdAt(v, `${path}/SecurityGroup`), 'GroupId'] },
          IpProtocol: 'tcp',
          FromPort: 2049,
          ToPort: 2049,
        }),
      ),
    );
  });

  test.each(STAGES)("%s: logs kept for the stage's retention", (stage) => {
    expect(resourceAt(built[stage], 'TaskLogs')).toMatchObject({
      Properties: { RetentionInDays: stage === 'production' ? 365 : 7 },
      DeletionPolicy: stage === 'production' ? 'Retain' : 'Delete',
    });
  });
});

// ---- the stack as a whole -----------------------------------------------------------------------

describe.each(STAGES)('%s stack', (stage) => {
  test('data outlives the stack in production only', () => {
    const v = built[stage];
    const expected = stage === 'production' ? 'Retain' : 'Delete';
    for (const path of [
      'ObjectSummaries/Bucket',
      'QueueWorker/Queue',
      'QueueWorker/DeadLetterQueue',
      'FailedInvocations',
    ]) {
      expect(resourceAt(v, path).DeletionPolicy).toBe(expected);
    }
  });

  test('no synth warnings', () => {
    expect(built[stage].warnings).toEqual([]);
  });

  test('cdk-nag AWS Solutions: no unacknowledged finding', () => {
    expect(built[stage].nag.violations).toEqual([]);
  });

  test('snapshot', () => {
    expect(built[stage].template.toJSON()).toMatchSnapshot();
  });
});

test.each(STAGES)(
  '%s: the cluster and the guestbook come from coa-ecs as exports, never as outputs read at deploy',
  (stage) => {
    // a weak reference would keep the old access point or security group after coa-ecs replaced it
    const template = JSON.stringify(built[stage].template.toJSON());
    const weakFromEcs = template.match(/"Fn::GetStackOutput":\{"StackName":"coa-ecs"/g) ?? [];
    expect(weakFromEcs).toEqual([]);
    for (const shared of ['Cluster', 'GuestbookFileSystem', 'GuestbookAccessPoint', 'EfsSecurityGroup']) {
      expect(template).toMatch(new RegExp(`"Fn::ImportValue":"coa-ecs:ExportsOutput[A-Za-z]*${shared}`));
    }
  },
);

test('without ecsPatterns in platforms there is no patterns stack', () => {
  expect(synthesize({ platforms: 'ecs' }).stacks.ecsPatterns).toBeUndefined();
});

describe('ECS patterns: production controls for the job tasks', () => {
  const containers = (stage: Stage) =>
    Object.values(resourcesOf(built[stage].template, 'AWS::ECS::TaskDefinition')).flatMap(
      (task) => task.Properties.ContainerDefinitions,
    );

  test.each(STAGES)(
    "%s: each command's container runs as the image's non-root user, with the task's memory as its hard limit (CT.ECS.PR.3, PR.7)",
    (stage) => {
      const all = containers(stage);
      expect(all).toHaveLength(3);
      for (const c of all) expect(c).toMatchObject({ User: '1000:1000', Memory: 512 });
    },
  );

  test.each(STAGES)('%s: read-only root file system, every capability dropped, never privileged', (stage) => {
    for (const c of containers(stage)) {
      expect(c.ReadonlyRootFilesystem).toBe(true);
      expect(c.LinuxParameters).toEqual({ Capabilities: { Drop: ['ALL'] } });
      expect(c.Privileged).toBeUndefined();
    }
  });
});

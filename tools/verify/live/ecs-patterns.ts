/**
 * The ECS patterns, each made to happen once: an upload gets its summary, a queued message becomes a
 * guestbook entry, the prune task runs to exit 0, and a task made to fail raises the stopped-task alert
 * (seen on a temporary SQS queue subscribed to the alerts topic, removed afterwards).
 */
import { allPages, type EcsTask, type Output } from '../aws/api';
import { at, json, send } from '../http';
import { describe, poll, VerifyError, type CheckContext } from '../runner';
import type { LiveContext } from './context';

export async function ecsPatternsChecks(live: LiveContext): Promise<void> {
  const { aws, run } = live;
  const bounds = { timeoutMs: live.timings.patternsMs, intervalMs: live.timings.intervalMs };

  await live.check('an upload under the watched prefix gets its summary', async (context) => {
    // s3://<bucket>/<input prefix>
    const [, Bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(live.output('ecs-patterns', 'UploadTo')) ?? [];
    const Key = `${prefix}verify-${run}.txt`;
    const Body = `uploaded by npm run verify\nrun ${run}\n`;
    await aws.call('s3', 'PutObject', { Bucket, Key, Body, ContentType: 'text/plain' });
    context.evidence(`PutObject s3://${Bucket}/${Key}: ${Buffer.byteLength(Body)} bytes`);
    const resultKey = await poll(context, { ...bounds, what: `a summary of ${Key}` }, async (state) => {
      const keys = await allPages(
        (ContinuationToken) => aws.call('s3', 'ListObjectsV2', { Bucket, ContinuationToken }),
        (page) => page.Contents?.map((c) => c.Key ?? ''),
        (page) => page.NextContinuationToken,
      );
      state(`${keys.length} objects in the bucket`);
      return keys.find((key) => key !== Key && key.includes(`verify-${run}`));
    });
    const { Body: stream } = await aws.call('s3', 'GetObject', { Bucket, Key: resultKey });
    const summary = JSON.parse((await stream?.transformToString()) ?? '{}') as {
      key?: string;
      bytes?: number;
    };
    if (summary.key !== Key || summary.bytes !== Buffer.byteLength(Body)) {
      throw new VerifyError(`${resultKey} summarizes ${summary.key} (${summary.bytes} bytes), not ${Key}`);
    }
    context.evidence(`${resultKey}: ${JSON.stringify(summary)}`);
  });

  await live.check('an SQS message becomes a guestbook entry', async (context) => {
    const message = `queued by npm run verify, run ${run}`;
    const { MessageId } = await aws.call('sqs', 'SendMessage', {
      QueueUrl: live.output('ecs-patterns', 'QueueUrl'),
      MessageBody: JSON.stringify({ name: 'verify', message }),
    });
    context.evidence(`SendMessage: ${MessageId}`);
    const url = at(live.output('ecs', 'Url'), '/api/guestbook');
    const entry = await poll(
      context,
      { ...bounds, what: 'the queued entry in the guestbook' },
      async (state) => {
        const answer = await send(url, { timeoutMs: live.timings.http.requestMs, signal: context.signal });
        const { entries = [] } = json<{ entries?: { message?: string; writtenBy?: { replica?: string } }[] }>(
          answer,
          url,
        );
        state(`${answer.status}, ${entries.length} entries`);
        return entries.find((e) => e.message === message);
      },
    );
    context.evidence(`listed by GET /api/guestbook, written by worker ${entry.writtenBy?.replica}`);
  });

  const schedule = await pruneSchedule(live).catch((error: unknown) => error as Error);

  await live.check('the prune task, run once on demand, exits 0', async (context) => {
    if (schedule instanceof Error) throw schedule;
    const task = await runToEnd(live, schedule, undefined, context);
    const exitCode = task.containers?.[0]?.exitCode;
    context.evidence(`${task.taskArn}: STOPPED, exit code ${exitCode}`);
    if (exitCode !== 0)
      throw new VerifyError(
        `exit code ${exitCode}: ${task.stoppedReason} ${task.containers?.[0]?.reason ?? ''}`,
      );
  });

  await live.check('a task made to fail raises the stopped-task alert', async (context) => {
    if (schedule instanceof Error) throw schedule;
    const alerts = await subscribeQueue(live, live.output('ecs-patterns', 'AlertsTopicArn'));
    context.evidence(`temporary queue ${alerts.queueUrl}, subscribed`);
    try {
      // MAX_AGE_DAYS=0 is out of the prune command's range: it stops at startup, exit code 1
      const task = await runToEnd(live, schedule, { MAX_AGE_DAYS: '0' }, context);
      const taskId = task.taskArn?.split('/').pop() ?? '';
      context.evidence(`${task.taskArn}: STOPPED, exit code ${task.containers?.[0]?.exitCode}`);
      const alert = await poll(
        context,
        { ...bounds, what: `an alert naming task ${taskId}` },
        async (state) => {
          const { Messages = [] } = await aws.call('sqs', 'ReceiveMessage', {
            QueueUrl: alerts.queueUrl,
            WaitTimeSeconds: Math.min(20, Math.floor(live.timings.intervalMs / 1000)),
            MaxNumberOfMessages: 10,
          });
          state(`${Messages.length} messages`);
          return Messages.find((m) => m.Body?.includes(taskId));
        },
      );
      context.evidence(`alert received: ${alert.Body?.slice(0, 160)}`);
    } finally {
      await alerts.remove();
      context.evidence('temporary queue unsubscribed and deleted');
    }
  });
}

type Schedule = NonNullable<NonNullable<Output<'scheduler', 'GetSchedule'>['Target']>>;

/** The prune schedule's target: the task definition, cluster and network the scheduled run uses. */
async function pruneSchedule(live: LiveContext): Promise<Schedule> {
  const name = await live.resource('ecs-patterns', 'AWS::Scheduler::Schedule');
  const { Target } = await live.aws.call('scheduler', 'GetSchedule', { Name: name });
  if (!Target?.Arn || !Target.EcsParameters?.TaskDefinitionArn) {
    throw new VerifyError(`schedule ${name} has no ECS task target`);
  }
  return Target;
}

/** Runs the schedule's task once, as the schedule would, with `environment` overrides; waits until it stopped. */
async function runToEnd(
  live: LiveContext,
  schedule: Schedule,
  environment: Record<string, string> | undefined,
  context: CheckContext,
): Promise<EcsTask> {
  const { aws } = live;
  const ecs = schedule.EcsParameters!;
  const taskDefinition = ecs.TaskDefinitionArn!;
  const network = ecs.NetworkConfiguration?.awsvpcConfiguration;
  let overrides;
  if (environment) {
    const { taskDefinition: described } = await aws.call('ecs', 'DescribeTaskDefinition', { taskDefinition });
    const name = described?.containerDefinitions?.[0]?.name ?? '';
    overrides = {
      containerOverrides: [
        { name, environment: Object.entries(environment).map(([key, value]) => ({ name: key, value })) },
      ],
    };
  }
  const started = await aws.call('ecs', 'RunTask', {
    cluster: schedule.Arn!,
    taskDefinition,
    capacityProviderStrategy: ecs.CapacityProviderStrategy?.map((s) => ({
      capacityProvider: s.capacityProvider ?? 'FARGATE',
      weight: s.weight,
      base: s.base,
    })),
    launchType: ecs.CapacityProviderStrategy?.length ? undefined : ecs.LaunchType,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: network?.Subnets ?? [],
        securityGroups: network?.SecurityGroups,
        assignPublicIp: network?.AssignPublicIp,
      },
    },
    overrides,
    startedBy: `verify-${live.run}`,
  });
  const taskArn = started.tasks?.[0]?.taskArn;
  if (!taskArn) {
    throw new VerifyError(
      `RunTask started nothing: ${(started.failures ?? []).map((f) => f.reason).join(', ')}`,
    );
  }
  return poll(
    context,
    {
      timeoutMs: live.timings.patternsMs,
      intervalMs: live.timings.intervalMs,
      what: `task ${taskArn} STOPPED`,
    },
    async (state) => {
      const [task] =
        (await aws.call('ecs', 'DescribeTasks', { cluster: schedule.Arn!, tasks: [taskArn] })).tasks ?? [];
      state(`${task?.lastStatus}`);
      return task?.lastStatus === 'STOPPED' ? task : undefined;
    },
  );
}

/** A temporary SQS queue subscribed to `topicArn`; `remove()` unsubscribes and deletes it. */
async function subscribeQueue(
  live: LiveContext,
  topicArn: string,
): Promise<{ queueUrl: string; remove(): Promise<void> }> {
  const { aws } = live;
  const policy = (queueArn: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queueArn,
          Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
        },
      ],
    });
  const QueueName = `${live.config.prefix}-verify-alerts-${live.run}`;
  // the queue's ARN is known before the queue exists: arn:<partition>:sqs:<region>:<account>:<name>
  const [, partition, , , account] = topicArn.split(':');
  const queueArn = `arn:${partition}:sqs:${live.aws.region}:${account}:${QueueName}`;
  const { QueueUrl } = await aws.call('sqs', 'CreateQueue', {
    QueueName,
    Attributes: { Policy: policy(queueArn), MessageRetentionPeriod: '3600' },
  });
  const queueUrl = QueueUrl!;
  let subscription: string | undefined;
  const remove = async () => {
    const errors: string[] = [];
    if (subscription) {
      await aws
        .call('sns', 'Unsubscribe', { SubscriptionArn: subscription })
        .catch((e) => errors.push(describe(e)));
    }
    await aws.call('sqs', 'DeleteQueue', { QueueUrl: queueUrl }).catch((e) => errors.push(describe(e)));
    if (errors.length > 0) throw new VerifyError(`could not remove ${queueUrl}: ${errors.join('; ')}`);
  };
  try {
    const { SubscriptionArn } = await aws.call('sns', 'Subscribe', {
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queueArn,
      Attributes: { RawMessageDelivery: 'true' },
      ReturnSubscriptionArn: true,
    });
    subscription = SubscriptionArn;
  } catch (error) {
    await remove();
    throw error;
  }
  return { queueUrl, remove };
}

import { Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { StagePolicy } from '../stage';

export interface StoppedTaskAlertsProps {
  /** Only tasks of this cluster are reported. */
  readonly cluster: ecs.ICluster;
  readonly policy: StagePolicy;
  /** Subscribed to the topic when given. */
  readonly alarmEmail?: string;
}

/**
 * Seeds: "ECS - intercept stopped tasks using EventBridge". ECS reports every task state change to
 * EventBridge; this rule picks the tasks of this project's cluster that stopped because something
 * failed, and publishes them to an encrypted SNS topic (with an optional e-mail subscription). The
 * stack's other alarms go to the same topic.
 */
export class StoppedTaskAlerts extends Construct {
  readonly topic: sns.Topic;
  readonly rule: events.Rule;
  private readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: StoppedTaskAlertsProps) {
    super(scope, id);
    const { cluster, policy } = props;

    // A key of our own: the AWS managed SNS key's policy cannot let CloudWatch use it.
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the containers-on-aws alerts topic',
      enableKeyRotation: true,
      removalPolicy: policy.dataRemovalPolicy,
      pendingWindow: policy.keyDeletionWindow,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'containers-on-aws alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    // Failed means: a container exited with a code other than 0 (a clean SIGTERM shutdown exits 0), the
    // task never started (image pull, volume mount, secrets), or a health check stopped it.
    this.rule = new events.Rule(this, 'TaskStoppedWithFailure', {
      description: 'ECS tasks of this project that stopped because something failed',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [cluster.clusterArn],
          lastStatus: ['STOPPED'],
          $or: [
            { containers: { exitCode: events.Match.anythingBut(0) } },
            { stopCode: ['TaskFailedToStart'] },
            { stoppedReason: events.Match.prefix('Task failed') },
          ],
        },
      },
      targets: [
        new targets.SnsTopic(this.topic, {
          // EventBridge publishes with a role of its own, which may also use the topic's key
          authorizeUsingRole: true,
          // One line of text for the people the e-mail reaches. Every field sits inside the string, so a
          // field an event lacks (no exit code when the task never started) cannot break the message.
          message: events.RuleTargetInput.fromText(
            `ECS task stopped because something failed. Task: ${detail('taskArn')} (${detail('group')}). ` +
              `Stop code: ${detail('stopCode')}. Reason: ${detail('stoppedReason')}. ` +
              `Container ${detail('containers[0].name')}: ` +
              `exit code ${detail('containers[0].exitCode')}, ${detail('containers[0].reason')}.`,
          ),
        }),
      ],
    });
    Validations.of(this.rule.node.findChild('EventsRole')).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'On the alerts key only: SNS encrypts each message EventBridge publishes with a data key from it',
    });
  }

  /**
   * Publishes the alarm's state changes to the topic. CloudWatch publishes as its service principal:
   * the topic lets it for this alarm only, the key for this account's alarms (the key policy is part
   * of the key, which the topic and so the alarm need first: it cannot name the alarm).
   */
  notifyOn(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    alarm.addOkAction(new cloudwatchActions.SnsAction(this.topic));
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { ArnLike: { 'aws:SourceArn': alarm.alarmArn } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
  }
}

function detail(path: string): string {
  return events.EventField.fromPath(`$.detail.${path}`);
}

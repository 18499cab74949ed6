import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { customerManagedKey } from './customer-managed-keys';
import type { StagePolicy } from './stage';

export interface AlertsProps {
  readonly policy: StagePolicy;
  /**
   * Subscribed to the topic when given; AWS mails a confirmation first.
   * @default no subscription: the sandbox's alarms change state on the console only
   */
  readonly alarmEmail?: string;
}

/**
 * A stack's alerts topic: encrypted SNS, where its alarms publish their state changes. One per
 * platform stack, so no stack depends on another's to be told something is wrong.
 */
export class Alerts extends Construct {
  readonly topic: sns.Topic;
  private readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const { policy } = props;
    // A key of our own: the AWS managed SNS key's policy cannot let CloudWatch use it.
    this.key = customerManagedKey(this, 'Key', 'Encrypts the containers-on-aws alerts topic', policy);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'containers-on-aws alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
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

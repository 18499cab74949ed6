import { Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { Alerts, type AlertsProps } from '../alerts';

export interface StoppedTaskAlertsProps extends AlertsProps {
  /** Only tasks of this cluster are reported. */
  readonly cluster: ecs.ICluster;
}

/**
 * Seeds: "ECS - intercept stopped tasks using EventBridge". ECS reports every task state change to
 * EventBridge; this rule picks the tasks of this project's cluster that stopped because something
 * failed, and publishes them to the stack's alerts topic (lib/alerts.ts), where its alarms go too.
 */
export class StoppedTaskAlerts extends Alerts {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: StoppedTaskAlertsProps) {
    super(scope, id, props);
    const { cluster } = props;

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
}

function detail(path: string): string {
  return events.EventField.fromPath(`$.detail.${path}`);
}

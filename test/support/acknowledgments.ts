import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface Acknowledgment {
  /** The construct path it sits on. */
  readonly path: string;
  /** As recorded, e.g. `Annotation::AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  readonly reason: string;
}

/** Every cdk-nag acknowledgment under `scope` (CDK acknowledges some rules of its own: left out). */
export function nagAcknowledgments(scope: IConstruct): Acknowledgment[] {
  return acknowledgments(scope, 'AwsSolutions-');
}

/** Every acknowledgment of a Control Tower rule (the cfn-guard plugin's) under `scope`. */
export function controlTowerAcknowledgments(scope: IConstruct): Acknowledgment[] {
  return acknowledgments(scope, 'cdk-validator-cfnguard::');
}

function acknowledgments(scope: IConstruct, prefix: string): Acknowledgment[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      )
      .filter((ack) => ack.id.includes(prefix)),
  );
}

import type { IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct, IConstruct } from 'constructs';
import type { StagePolicy } from './stage';

const limited = new WeakSet<kms.Key>();

/**
 * CT.KMS.PR.3: only AWS services may create grants on the key. A grant hands a principal the key's
 * use without a policy change; services that need one (EKS for its secrets, EBS) create it for an AWS
 * resource, or are themselves the caller, and pass. Everyone else is denied.
 */
export function limitGrantsToAwsServices(key: kms.Key): void {
  if (limited.has(key)) return;
  limited.add(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'GrantsOnlyForAwsServices',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
  );
}

/** A customer managed key for data at rest: rotated yearly, removed and restorable as the stage says. */
export function customerManagedKey(
  scope: Construct,
  id: string,
  description: string,
  policy: StagePolicy,
): kms.Key {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy: policy.dataRemovalPolicy,
    pendingWindow: policy.keyDeletionWindow,
  });
  limitGrantsToAwsServices(key);
  return key;
}

/** The grant limit on every key of the app, including those made outside this file. */
export class KeyGrantsForAwsServices implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof kms.Key) limitGrantsToAwsServices(node);
  }
}

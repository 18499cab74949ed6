import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Acknowledges one Control Tower rule on one construct (and what it holds), with the reason. */
export function acknowledgeControlTowerRule(construct: IConstruct, rule: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `cdk-validator-cfnguard::${rule}`, reason });
}

/**
 * CT.LAMBDA.PR.3 on a function that does run in the VPC's private subnets: the rule accepts subnet IDs
 * only as literal strings or references to subnets in the same template, and ours come from the
 * network stack (every platform shares its VPC), so it cannot see them.
 */
export function acknowledgeSharedVpcFunction(fn: IConstruct): void {
  acknowledgeControlTowerRule(
    fn,
    'lambda_inside_vpc_check',
    "Runs in the shared VPC's private subnets, named through the network stack's outputs, which the rule cannot follow",
  );
}

import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * Names the zones of an Auto Scaling group's subnets in its `AvailabilityZones` too. The group already
 * spans every zone through its subnets (`VPCZoneIdentifier`); Control Tower's CT.AUTOSCALING.PR.1 reads
 * only `AvailabilityZones`, which may be given alongside when the subnets lie in those zones (Auto
 * Scaling's CreateAutoScalingGroup reference), so the group states what it already does.
 */
export function nameAvailabilityZones(
  group: autoscaling.AutoScalingGroup,
  subnets: ec2.SelectedSubnets,
): void {
  (group.node.defaultChild as autoscaling.CfnAutoScalingGroup).availabilityZones = subnets.availabilityZones;
}

import { Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { nameAvailabilityZones } from '../auto-scaling-zones';
import type { CpuArchitecture, EcsConfig } from '../config';
import type { StagePolicy } from '../stage';

/**
 * The EC2 launch type's capacity: an Auto Scaling group, and the capacity provider that scales it,
 * joined to `cluster` (concept: "ECS service auto scaling is not EC2 auto scaling": this is the EC2 half).
 */
export function ec2CapacityProvider(
  cluster: ecs.Cluster,
  config: EcsConfig,
  policy: StagePolicy,
  cpuArchitecture: CpuArchitecture,
): ecs.AsgCapacityProvider {
  const scope = Stack.of(cluster);
  const vpc = cluster.vpc;
  // EC2 instance profile (concept: "used by the ECS agent"): register the instance, poll for work,
  // report task state. CDK adds those permissions when the capacity provider joins the cluster.
  // Pulling images, writing task logs and reading secrets are the tasks' execution roles' job.
  const instanceRole = new iam.Role(scope, 'InstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description: 'EC2 instance profile of the ECS container instances: what the ECS agent needs',
  });
  Validations.of(instanceRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      "CDK's ECS agent policy: DiscoverPollEndpoint and GetAuthorizationToken have no resource scope, Poll and StartTelemetrySession are conditioned on this cluster, and the log actions cover the agent's own fallback",
  });
  Validations.of(instanceRole).acknowledge({
    id: 'AwsSolutions-IAM5[Action::ecs:Submit*]',
    reason:
      "CDK's ECS agent policy: the agent submits task, container and attachment state changes, on this cluster only",
  });

  // The ECS-optimized Amazon Linux 2023 AMI, resolved by EC2 each time it launches an instance
  // (`resolve:ssm:` in the launch template), not by CloudFormation at deploy: a new AMI release
  // changes nothing in the template, so a routine deploy never replaces instances. New instances
  // (scale-out, replacement, instance refresh) start from the latest AMI.
  const amiParameter = `/aws/service/ecs/optimized-ami/amazon-linux-2023/${cpuArchitecture === 'arm64' ? 'arm64/' : ''}recommended/image_id`;
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    // awsvpc tasks have their own task roles: keep them away from the instance's credentials
    'echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config',
    // no task definition can start a privileged container here (lib/ecs/hardened-container.ts)
    'echo ECS_DISABLE_PRIVILEGED=true >> /etc/ecs/ecs.config',
    // on the two-minute Spot interruption notice, drain the instance so tasks move first
    ...(config.spot ? ['echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config'] : []),
  );
  const launchTemplate = new ec2.LaunchTemplate(scope, 'LaunchTemplate', {
    machineImage: ec2.MachineImage.resolveSsmParameterAtLaunch(amiParameter),
    userData,
    instanceType: new ec2.InstanceType(config.instanceType),
    role: instanceRole,
    securityGroup: new ec2.SecurityGroup(scope, 'InstanceSecurityGroup', {
      vpc,
      description: 'ECS container instances: no inbound; outbound to ECS, ECR and CloudWatch',
    }),
    // IMDSv2 only, and its token answers travel one hop (CT.EC2.PR.2): the ECS agent and the host reach
    // instance metadata, a container behind its own network interface does not. Tasks need none of it:
    // they get their task role's credentials from the ECS agent's endpoint (169.254.170.2), not the
    // instance role's; ECS_AWSVPC_BLOCK_IMDS above blocks even IMDSv1-style requests from awsvpc tasks.
    requireImdsv2: true,
    httpPutResponseHopLimit: 1,
    // 1-minute instance metrics, per the stage (CT.EC2.PR.10)
    detailedMonitoring: policy.detailedMonitoring,
    blockDevices: [
      {
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      },
    ],
  });

  // More than one instance type (CT.AUTOSCALING.PR.6): on demand, the first that EC2 has capacity
  // for, in the order listed; Spot, any of them, from the pools least likely to be interrupted.
  const instanceTypes = [config.instanceType, ...config.extraInstanceTypes];
  const mixed = config.spot || instanceTypes.length > 1;
  const autoScalingGroup = new autoscaling.AutoScalingGroup(scope, 'AutoScalingGroup', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    minCapacity: config.asgMinCapacity,
    maxCapacity: config.asgMaxCapacity,
    ...(mixed
      ? {
          mixedInstancesPolicy: {
            launchTemplate,
            launchTemplateOverrides: instanceTypes.map((type) => ({
              instanceType: new ec2.InstanceType(type),
            })),
            instancesDistribution: config.spot
              ? {
                  onDemandBaseCapacity: 0,
                  onDemandPercentageAboveBaseCapacity: 0,
                  spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
                }
              : {
                  onDemandPercentageAboveBaseCapacity: 100,
                  onDemandAllocationStrategy: autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
                },
          },
        }
      : { launchTemplate }),
  });
  nameAvailabilityZones(
    autoScalingGroup,
    vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }),
  );
  if (mixed) {
    Validations.of(autoScalingGroup).acknowledge({
      id: 'AwsSolutions-EC26',
      reason:
        'The launch template encrypts the root volume; the rule cannot follow a mixed instances policy to it',
    });
  }
  Validations.of(autoScalingGroup).acknowledge({
    id: 'AwsSolutions-AS3',
    reason:
      "Scaling is the capacity provider's: its decisions show in the ECS service events and the group's activity history, which is where an operator looks",
  });

  const capacityProvider = new ecs.AsgCapacityProvider(scope, 'Ec2CapacityProvider', {
    autoScalingGroup,
    // managed scaling: ECS keeps the group at the size the tasks need (concept: "add EC2 instances
    // when you're missing capacity"), filled to this percentage
    enableManagedScaling: true,
    targetCapacityPercent: config.capacityTargetPercent,
    // Managed termination protection: scale-in only ends instances without tasks (per the stage)
    enableManagedTerminationProtection: policy.scaleInProtection,
    // whatever the group terminates (scale-in, instance refresh, rebalancing) is drained of tasks first
    enableManagedDraining: true,
  });
  cluster.addAsgCapacityProvider(capacityProvider);
  // A capacity provider needs ECS's service-linked role, which a new account gets with its first
  // cluster: create it after the cluster. (The launch template's user data names the cluster, so
  // the order holds today; this keeps it if that changes.)
  for (const child of capacityProvider.node.children) {
    if (child instanceof ecs.CfnCapacityProvider) {
      child.addResourceDependency(cluster.node.defaultChild as ecs.CfnCluster);
    }
  }
  return capacityProvider;
}

import { Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { NetworkConfig } from './config';
import type { StagePolicy } from './stage';

export interface NetworkStackProps extends StackProps {
  readonly network: NetworkConfig;
  readonly policy: StagePolicy;
}

/**
 * The VPC every platform shares: public subnets for load balancers and NAT, private subnets for
 * tasks, pods and nodes, which reach the internet (ECR, AWS APIs) only through NAT.
 */
const VPC_CIDR = '10.0.0.0/16';

export class NetworkStack extends Stack {
  readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { network, policy } = props;

    const nat = network.natProvider === 'instance' ? natInstance() : ec2.NatProvider.gateway();
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: network.azCount,
      natGatewayProvider: nat,
      // NAT instance: one for the VPC (cheap, one AZ's failure cuts egress);
      // NAT gateway: one per AZ, so no AZ depends on another's NAT.
      natGateways: network.natProvider === 'instance' ? 1 : network.azCount,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 22, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      // image layers come from S3: a free gateway endpoint keeps that traffic off the NAT
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    this.vpc = vpc;

    if (nat instanceof ec2.NatInstanceProviderV2) {
      // the NAT instance forwards what the private subnets send, and nothing from outside
      nat.connections.allowFrom(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.allTraffic(), 'traffic to NAT');
      for (const instance of nat.gatewayInstances) {
        // NatInstanceProps has no block devices: encrypt the root volume on the L1 resource
        (instance.node.defaultChild as ec2.CfnInstance).blockDeviceMappings = [
          { deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', volumeSize: 8 } },
        ];
        Validations.of(instance).acknowledge({
          id: 'AwsSolutions-EC28',
          reason: 'Sandbox NAT instance: basic monitoring is enough for a replaceable egress box',
        });
        Validations.of(instance).acknowledge({
          id: 'AwsSolutions-EC29',
          reason: 'Sandbox NAT instance: cdk destroy must be able to terminate it',
        });
      }
    }

    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogGroup', {
          retention: policy.logRetention,
          removalPolicy: policy.logRemovalPolicy,
        }),
      ),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}

/**
 * A NAT instance on the smallest Graviton type with standard CPU credits: a few dollars a month
 * instead of a NAT gateway's ~$33 plus data. Its Amazon Linux 2023 AMI is the latest at each
 * deploy: a new release replaces the instance (a minute without egress, in a sandbox) and patches it.
 */
function natInstance(): ec2.NatInstanceProviderV2 {
  return ec2.NatProvider.instanceV2({
    instanceType: new ec2.InstanceType('t4g.nano'),
    machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
    creditSpecification: ec2.CpuCredits.STANDARD,
    defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
    // mapPublicIpOnLaunch is off in public subnets, so the NAT instance asks for its own
    associatePublicIpAddress: true,
  });
}

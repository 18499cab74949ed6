import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { NetworkConfig } from './config';
import { forwardAndSignal, natInstanceProvider } from './network/nat-instance';
import type { StagePolicy } from './stage';

export interface NetworkStackProps extends StackProps {
  readonly network: NetworkConfig;
  readonly policy: StagePolicy;
}

const VPC_CIDR = '10.0.0.0/16';

/**
 * The VPC every platform shares: public subnets for load balancers and NAT, private subnets for
 * tasks, pods and nodes, which reach the internet (ECR, AWS APIs) only through NAT.
 */
export class NetworkStack extends Stack {
  readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { network, policy } = props;

    const natUserData = ec2.UserData.forLinux();
    const nat =
      network.natProvider === 'instance' ? natInstanceProvider(natUserData) : ec2.NatProvider.gateway();
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
      // one NAT instance (natGateways: 1), so its user data can name it when it signals
      const [instance] = nat.gatewayInstances;
      // NatInstanceProps has no block devices: encrypt the root volume on the L1 resource
      (instance.node.defaultChild as ec2.CfnInstance).blockDeviceMappings = [
        { deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', volumeSize: 8 } },
      ];
      forwardAndSignal(instance, natUserData);
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

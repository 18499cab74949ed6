import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';

/** How long CloudFormation waits for the NAT instance to say it forwards, before it fails the stack. */
export const NAT_READY_TIMEOUT = Duration.minutes(10);

/**
 * A NAT instance on the smallest Graviton type with standard CPU credits: a few dollars a month
 * instead of a NAT gateway's ~$33 plus data. Its Amazon Linux 2023 AMI is the latest at each
 * deploy: a new release replaces the instance (a minute without egress, in a sandbox) and patches it.
 *
 * Our own user data replaces CDK's default, whose bare `yum install iptables-services` fails now and
 * then on AL2023 while boot-time dnf jobs hold the package lock (aws/aws-cdk#36717): the instance
 * then runs but forwards nothing, and every stack behind it times out waiting for its tasks.
 *
 * Three Control Tower rules fail on it, and stay sandbox findings (production uses NAT gateways and has
 * no instance): a NAT instance needs a public IP of its own (CT.EC2.PR.8); detailed monitoring
 * (CT.EC2.PR.13) would add ~$2.10 a month to a ~$3 instance; and the Nitro types with encryption in
 * transit between instances (CT.EC2.PR.19) start at c6gn.medium, the price of the NAT gateway this avoids.
 */
export function natInstanceProvider(userData: ec2.UserData): ec2.NatInstanceProviderV2 {
  return ec2.NatProvider.instanceV2({
    instanceType: new ec2.InstanceType('t4g.nano'),
    machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
    creditSpecification: ec2.CpuCredits.STANDARD,
    defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
    // mapPublicIpOnLaunch is off in public subnets, so the NAT instance asks for its own
    associatePublicIpAddress: true,
    userData,
  });
}

/**
 * Makes the instance forward and masquerade, retrying the package install, and reports the outcome to
 * CloudFormation: the stack waits for SUCCESS (a creation policy) and fails at once, with the reason,
 * on FAILURE, instead of succeeding with private subnets that have no egress.
 */
export function forwardAndSignal(instance: ec2.Instance, userData: ec2.UserData): void {
  const stack = Stack.of(instance);
  const cfnInstance = instance.node.defaultChild as ec2.CfnInstance;
  cfnInstance.cfnOptions.creationPolicy = {
    resourceSignal: { count: 1, timeout: `PT${NAT_READY_TIMEOUT.toMinutes()}M` },
  };
  // The standard AL2023 AMI ships the AWS CLI, not cfn-signal: signal with the API, from the instance's role
  instance.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [stack.stackId] }),
  );
  const signal = (status: 'SUCCESS' | 'FAILURE') =>
    `aws cloudformation signal-resource --region ${stack.region} --stack-name ${stack.stackName} ` +
    `--logical-resource-id ${stack.getLogicalId(cfnInstance)} --unique-id "$instance_id" --status ${status}`;
  userData.addCommands(
    'set -uo pipefail',
    'token=$(curl -sX PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
    'instance_id=$(curl -s -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)',
    `fail() { echo "NAT setup failed: $1" >&2; ${signal('FAILURE')}; exit 1; }`,
    // boot-time dnf jobs (makecache, agent updates) can hold the lock: back off and try again
    'for attempt in 1 2 3 4 5 6; do',
    '  dnf install -y iptables-services && break',
    '  [ "$attempt" = 6 ] && fail "dnf install iptables-services failed 6 times"',
    '  sleep $((attempt * 10))',
    'done',
    'systemctl enable --now iptables || fail "iptables service did not start"',
    'echo "net.ipv4.ip_forward=1" > /etc/sysctl.d/90-nat-instance.conf',
    'sysctl -p /etc/sysctl.d/90-nat-instance.conf || fail "IP forwarding not enabled"',
    "interface=$(ip route show default | awk '{print $5; exit}')",
    'iptables -t nat -A POSTROUTING -o "$interface" -j MASQUERADE || fail "no masquerade rule"',
    'iptables -F FORWARD && service iptables save || fail "iptables rules not saved"',
    signal('SUCCESS'),
  );
  Validations.of(instance).acknowledge({
    id: 'AwsSolutions-EC28',
    reason: 'Sandbox NAT instance: basic monitoring is enough for a replaceable egress box',
  });
  Validations.of(instance).acknowledge({
    id: 'AwsSolutions-EC29',
    reason: 'Sandbox NAT instance: cdk destroy must be able to terminate it',
  });
}

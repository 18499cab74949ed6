import { Match, type Template } from 'aws-cdk-lib/assertions';
import { STAGE_CONTEXT, STAGES, synthesize } from './support/synth';
import { joined, only, onlyId } from './support/template';

const templates = {
  sandbox: networkTemplate('sandbox'),
  production: networkTemplate('production'),
};

/** The NAT instance's user data as text, CloudFormation references shown as their JSON. */
function natUserData(template: Template): string {
  const instance = only(template, 'AWS::EC2::Instance');
  return joined(instance.Properties.UserData['Fn::Base64']);
}

function networkTemplate(stage: (typeof STAGES)[number]) {
  const { stacks, template } = synthesize({ ...STAGE_CONTEXT[stage], platforms: 'none' });
  return template(stacks.network);
}

describe('network stack', () => {
  test('sandbox: public and private subnets in two AZs, none giving out public IPs', () => {
    templates.sandbox.resourceCountIs('AWS::EC2::Subnet', 4);
    templates.sandbox.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false }, 4);
  });

  test('production: public and private subnets in three AZs, none giving out public IPs', () => {
    templates.production.resourceCountIs('AWS::EC2::Subnet', 6);
    templates.production.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false }, 6);
  });

  test('sandbox: one NAT instance on t4g.nano with standard credits and an encrypted root volume, no NAT gateway', () => {
    const t = templates.sandbox;
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::Instance', 1);
    t.hasResourceProperties('AWS::EC2::Instance', {
      InstanceType: 't4g.nano',
      SourceDestCheck: false,
      CreditSpecification: { CPUCredits: 'standard' },
      BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
    });
  });

  test('sandbox: the NAT instance accepts traffic from the VPC only', () => {
    const t = templates.sandbox;
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Security Group for NAT instances',
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.0.0.0/16', IpProtocol: '-1' })],
    });
    t.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroup',
      { SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: '0.0.0.0/0' })]) },
      0,
    );
  });

  describe('sandbox: the NAT instance forwards, or the stack fails saying why (aws/aws-cdk#36717)', () => {
    const script = natUserData(templates.sandbox);

    test('the package install is retried with a back-off; CDK default one-shot install is gone', () => {
      expect(script).toMatch(
        /for attempt in 1 2 3 4 5 6; do\n {2}dnf install -y iptables-services && break\n/,
      );
      expect(script).toContain('sleep $((attempt * 10))');
      expect(script).not.toContain('yum install iptables-services -y');
    });

    test('every step that makes it forward fails the setup when it fails', () => {
      for (const step of [
        'systemctl enable --now iptables',
        'sysctl -p',
        'MASQUERADE',
        'service iptables save',
      ]) {
        expect(script.split('\n').find((line) => line.includes(step))).toMatch(/\|\| fail "/);
      }
    });

    test('CloudFormation waits for its signal: SUCCESS last, FAILURE from fail()', () => {
      templates.sandbox.hasResource('AWS::EC2::Instance', {
        CreationPolicy: { ResourceSignal: { Count: 1, Timeout: 'PT10M' } },
      });
      const lines = script.trim().split('\n');
      expect(lines[lines.length - 1]).toMatch(/^aws cloudformation signal-resource .*--status SUCCESS$/);
      expect(lines.find((line) => line.startsWith('fail()'))).toMatch(
        /signal-resource .*--status FAILURE; exit 1; }$/,
      );
    });

    test('the signal names this stack and this instance; its role may signal this stack only', () => {
      const t = templates.sandbox;
      expect(script).toContain(
        `--stack-name coa-network --logical-resource-id ${onlyId(t, 'AWS::EC2::Instance')} `,
      );
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            { Action: 'cloudformation:SignalResource', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } },
          ],
        },
      });
    });
  });

  test('production: a NAT gateway per AZ, no NAT instance', () => {
    const t = templates.production;
    t.resourceCountIs('AWS::EC2::NatGateway', 3);
    t.resourceCountIs('AWS::EC2::Instance', 0);
  });

  test.each(STAGES)('%s: flow logs of all traffic to a log group with the stage retention', (stage) => {
    const t = templates[stage];
    t.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    t.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: stage === 'production' ? 365 : 7 },
      DeletionPolicy: stage === 'production' ? 'Retain' : 'Delete',
    });
  });

  test('an S3 gateway endpoint keeps image layer downloads off the NAT', () => {
    templates.sandbox.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('\\.s3$')])]),
      }),
    });
  });

  test.each(STAGES)('%s: snapshot', (stage) => {
    expect(templates[stage].toJSON()).toMatchSnapshot();
  });
});

describe('network stack: the NAT instance is a sandbox finding only', () => {
  test('production has no EC2 instance: the NAT instance rules (CT.EC2.PR.8, PR.13, PR.19) have nothing to judge', () => {
    templates.production.resourceCountIs('AWS::EC2::Instance', 0);
  });

  test('sandbox: the NAT instance keeps its cheap choices: a public IP of its own, basic monitoring, a t4g type', () => {
    const nat = only(templates.sandbox, 'AWS::EC2::Instance').Properties;
    expect(nat.NetworkInterfaces[0].AssociatePublicIpAddress).toBe(true);
    expect(nat.Monitoring).toBeUndefined();
    expect(nat.InstanceType).toBe('t4g.nano');
  });
});

import { AwsSolutionsChecks } from 'cdk-nag';
import { nagAcknowledgments } from './support/acknowledgments';
import { STAGES, SAMPLE_APP_REPOSITORY_ARN, synthesize } from './support/synth';
import {
  alarmsToAlertsTopic,
  dashboardMetrics,
  dimensionsAsGraphed,
  only,
  onlyId,
  resourcesOf,
  roleAssumedBy,
  subnetKinds,
} from './support/template';

function synthesizeStage(stage: (typeof STAGES)[number]) {
  const { app, stacks, template } = synthesize({ stage, platforms: 'apprunner' });
  const stack = stacks.appRunner!;
  const stackTemplate = template(stack);
  // cdk-nag on this stack alone, after synthesis; test/whole-app.test.ts judges the whole app
  const nag = new AwsSolutionsChecks().validateScope(stack);
  return { app, stack, nag, template: stackTemplate, tag: stacks.registry.image.tag };
}
const synthesized = { sandbox: synthesizeStage('sandbox'), production: synthesizeStage('production') };

const sandbox = synthesized.sandbox.template;

describe('App Runner stack', () => {
  test('runs the registry image by its tag (ECR, private), on the app port', () => {
    const { template, tag } = synthesized.sandbox;
    const repository = only(template, 'AWS::AppRunner::Service').Properties.SourceConfiguration
      .ImageRepository;
    expect(repository.ImageRepositoryType).toBe('ECR');
    expect(repository.ImageIdentifier['Fn::Join'][1].at(-1)).toBe(`/coa/sample-app:${tag}`);
    expect(repository.ImageConfiguration.Port).toBe('8080');
    expect(repository.ImageConfiguration.StartCommand).toBeUndefined();
  });

  test('tells the app its version and platform (App Runner has no metadata endpoint), and mounts no volume', () => {
    const { template, tag } = synthesized.sandbox;
    const { ImageConfiguration } = only(template, 'AWS::AppRunner::Service').Properties.SourceConfiguration
      .ImageRepository;
    expect(ImageConfiguration.RuntimeEnvironmentVariables).toEqual([
      { Name: 'IMAGE_VERSION', Value: tag },
      { Name: 'PLATFORM', Value: 'apprunner' },
    ]);
  });

  test('deploys a new image through the stack, not by watching the repository', () => {
    const service = only(sandbox, 'AWS::AppRunner::Service').Properties;
    expect(service.SourceConfiguration.AutoDeploymentsEnabled).toBe(false);
  });

  test('access role: App Runner may pull this one repository, plus the registry login, nothing else', () => {
    const accessRole = roleAssumedBy(sandbox, 'build.apprunner.amazonaws.com');
    const policy = only(sandbox, 'AWS::IAM::Policy').Properties;
    expect(policy.Roles).toEqual([{ Ref: accessRole }]);
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Action: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:DescribeImages',
          'ecr:GetDownloadUrlForLayer',
        ],
        Effect: 'Allow',
        Resource: SAMPLE_APP_REPOSITORY_ARN,
      },
      { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' },
    ]);
    sandbox.hasResourceProperties('AWS::AppRunner::Service', {
      SourceConfiguration: {
        AuthenticationConfiguration: { AccessRoleArn: { 'Fn::GetAtt': [accessRole, 'Arn'] } },
      },
    });
  });

  test('the access policy exists before App Runner first pulls the image', () => {
    expect(only(sandbox, 'AWS::AppRunner::Service').DependsOn).toEqual([onlyId(sandbox, 'AWS::IAM::Policy')]);
  });

  test('instance role: assumed by the app, with no permission at all (the app calls no AWS API)', () => {
    const instanceRole = roleAssumedBy(sandbox, 'tasks.apprunner.amazonaws.com');
    const role = resourcesOf(sandbox, 'AWS::IAM::Role')[instanceRole].Properties;
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toBeUndefined();
    // the only policy in the stack is the access role's
    expect(only(sandbox, 'AWS::IAM::Policy').Properties.Roles).not.toContainEqual({ Ref: instanceRole });
    sandbox.hasResourceProperties('AWS::AppRunner::Service', {
      InstanceConfiguration: { InstanceRoleArn: { 'Fn::GetAtt': [instanceRole, 'Arn'] } },
    });
  });

  test('health check: HTTP on /healthz', () => {
    sandbox.hasResourceProperties('AWS::AppRunner::Service', {
      HealthCheckConfiguration: { Protocol: 'HTTP', Path: '/healthz' },
    });
  });

  test.each([
    ['sandbox', '256', '512'],
    ['production', '1024', '2048'],
  ] as const)('%s: instance size %s CPU units, %s MiB', (stage, cpu, memory) => {
    synthesized[stage].template.hasResourceProperties('AWS::AppRunner::Service', {
      InstanceConfiguration: { Cpu: cpu, Memory: memory },
    });
  });

  test.each([
    ['sandbox', 1, 2],
    ['production', 2, 10],
  ] as const)(
    '%s: auto scaling between %i and %i instances, 100 concurrent requests each',
    (stage, min, max) => {
      const { template } = synthesized[stage];
      expect(only(template, 'AWS::AppRunner::AutoScalingConfiguration').Properties).toEqual({
        MinSize: min,
        MaxSize: max,
        MaxConcurrency: 100,
        Tags: expect.any(Array),
      });
      template.hasResourceProperties('AWS::AppRunner::Service', {
        AutoScalingConfigurationArn: {
          'Fn::GetAtt': [
            onlyId(template, 'AWS::AppRunner::AutoScalingConfiguration'),
            'AutoScalingConfigurationArn',
          ],
        },
      });
    },
  );

  test('outbound traffic leaves through a VPC connector in the private subnets, with its own security group', () => {
    const connector = only(sandbox, 'AWS::AppRunner::VpcConnector').Properties;
    expect(subnetKinds(connector.Subnets)).toEqual(['private', 'private']);
    expect(connector.SecurityGroups).toEqual([
      { 'Fn::GetAtt': [onlyId(sandbox, 'AWS::EC2::SecurityGroup'), 'GroupId'] },
    ]);
    sandbox.hasResourceProperties('AWS::AppRunner::Service', {
      NetworkConfiguration: {
        EgressConfiguration: {
          EgressType: 'VPC',
          VpcConnectorArn: {
            'Fn::GetAtt': [onlyId(sandbox, 'AWS::AppRunner::VpcConnector'), 'VpcConnectorArn'],
          },
        },
      },
    });
  });

  test("the connector's security group admits nothing: it is the identity a database admits", () => {
    expect(only(sandbox, 'AWS::EC2::SecurityGroup').Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('public HTTPS endpoint, AWS-owned encryption, no tracing: no ingress connection, key or observability resource', () => {
    const service = only(sandbox, 'AWS::AppRunner::Service').Properties;
    expect(service.NetworkConfiguration.IngressConfiguration).toBeUndefined();
    expect(service.EncryptionConfiguration).toBeUndefined();
    expect(service.ObservabilityConfiguration).toBeUndefined();
    for (const type of [
      'AWS::AppRunner::VpcIngressConnection',
      'AWS::AppRunner::ObservabilityConfiguration',
    ]) {
      sandbox.resourceCountIs(type, 0);
    }
    // the one key encrypts the alerts topic ("Observability" below), not the service
    expect(only(sandbox, 'AWS::SNS::Topic').Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [onlyId(sandbox, 'AWS::KMS::Key'), 'Arn'],
    });
  });

  test('outputs the service URL', () => {
    sandbox.hasOutput('ServiceUrl', {
      Value: {
        'Fn::Join': [
          '',
          ['https://', { 'Fn::GetAtt': [onlyId(sandbox, 'AWS::AppRunner::Service'), 'ServiceUrl'] }],
        ],
      },
    });
  });

  test.each(STAGES)('%s: no synth warning or error', (stage) => {
    // read from the assembly already built: Annotations.fromStack would synthesize again
    const { app, stack } = synthesized[stage];
    const messages = app.synth().getStackArtifact(stack.artifactId).messages;
    expect(messages.filter((message) => message.level !== 'info')).toEqual([]);
  });

  test.each(STAGES)('%s: cdk-nag AWS Solutions: every finding fixed or acknowledged', (stage) => {
    expect(synthesized[stage].nag.violations).toEqual([]);
  });

  test('cdk-nag: its one acknowledgment is the registry login on the access role', () => {
    const { stack } = synthesized.sandbox;
    const acknowledged = nagAcknowledgments(stack).map((ack) => `${ack.path} ${ack.id}`);
    expect(acknowledged).toEqual([
      `${stack.stackName}/AccessRole Annotation::AwsSolutions-IAM5[Resource::*]`,
    ]);
  });

  test.each(STAGES)('%s: snapshot', (stage) => {
    expect(synthesized[stage].template.toJSON()).toMatchSnapshot();
  });
});

describe('App Runner stack: observability', () => {
  const { stack } = synthesized.sandbox;
  // App Runner's metrics are per service: its ID and its name, as the service's L2 gives them
  const appRunner = (metricName: string) => [
    'AWS/AppRunner',
    metricName,
    'ServiceID',
    stack.resolve(stack.service.serviceId),
    'ServiceName',
    stack.resolve(stack.service.serviceName),
  ];

  test.each(STAGES)('%s: one alarm, sustained 5xx, tells the alerts topic', (stage) => {
    const alarms = Object.values(alarmsToAlertsTopic(synthesized[stage]));
    expect(alarms).toHaveLength(1);
    const { Namespace, MetricName, Dimensions, ...alarm } = alarms[0].Properties;
    expect([Namespace, MetricName, ...dimensionsAsGraphed(Dimensions)]).toEqual(
      appRunner('5xxStatusResponses'),
    );
    expect(alarm).toMatchObject({ Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 5 });
  });

  test('the dashboard graphs the service by its name and ID; no guestbook, no EFS', () => {
    const graphed = dashboardMetrics(only(sandbox, 'AWS::CloudWatch::Dashboard'));
    expect(graphed.map((m) => m[1])).toEqual([
      'Requests',
      '5xxStatusResponses',
      'RequestLatency',
      'RequestLatency',
      'ActiveInstances',
      'CPUUtilization',
      'MemoryUtilization',
    ]);
    for (const metric of graphed) expect(metric).toEqual(appRunner(metric[1] as string));
    expect(stack.resolve(synthesized.sandbox.template.findOutputs('DashboardUrl'))).not.toEqual({});
  });
});

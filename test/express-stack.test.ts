import { AwsSolutionsChecks } from 'cdk-nag';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { nagAcknowledgments } from './support/acknowledgments';
import { STAGES, SAMPLE_APP_REPOSITORY_ARN, synthesize } from './support/synth';
import {
  alarmsToAlertsTopic,
  dashboardMetrics,
  dimensionsAsGraphed,
  logicalIdAt,
  only,
  onlyId,
  resourcesOf,
  roleAssumedBy,
  statementsOfRole,
  subnetKinds,
} from './support/template';

function synthesizeStage(stage: (typeof STAGES)[number]) {
  const { app, stacks, template } = synthesize({ stage, platforms: 'express' });
  const stack = stacks.express!;
  const stackTemplate = template(stack);
  // cdk-nag on this stack alone, after synthesis; test/whole-app.test.ts judges the whole app
  const nag = new AwsSolutionsChecks().validateScope(stack);
  return { app, stack, nag, template: stackTemplate, tag: stacks.registry.image.tag };
}
const synthesized = { sandbox: synthesizeStage('sandbox'), production: synthesizeStage('production') };

const sandbox = synthesized.sandbox.template;

/** The container logs' group: the one whose name CloudFormation generates. */
const appLogGroup = (template: Template) =>
  onlyId(template, 'AWS::Logs::LogGroup', { LogGroupName: Match.absent() });

/** The only role `service` may assume whose description matches `description`: logical ID and properties. */
function assumedRole(service: string, description?: string) {
  const id = roleAssumedBy(sandbox, service, description);
  return [id, resourcesOf(sandbox, 'AWS::IAM::Role')[id].Properties] as const;
}

/** The two roles ECS tasks assume, told apart by their description. */
const taskPrincipalRole = (description: string) => assumedRole('ecs-tasks.amazonaws.com', description);

const service = (template: Template) => only(template, 'AWS::ECS::ExpressGatewayService').Properties;

describe('ECS Express Mode stack', () => {
  test('the primary container runs the registry image by its tag on the app port, with its default command', () => {
    const { PrimaryContainer } = service(sandbox);
    expect(PrimaryContainer.Image['Fn::Join'][1].at(-1)).toBe(`/coa/sample-app:${synthesized.sandbox.tag}`);
    expect(PrimaryContainer.ContainerPort).toBe(8080);
    expect(PrimaryContainer.Command).toBeUndefined();
  });

  test('tells the app its version and that this Fargate task is Express Mode; mounts no volume', () => {
    expect(service(sandbox).PrimaryContainer.Environment).toEqual([
      { Name: 'IMAGE_VERSION', Value: synthesized.sandbox.tag },
      { Name: 'PLATFORM', Value: 'express' },
    ]);
  });

  test('the load balancer health-checks /healthz', () => {
    expect(service(sandbox).HealthCheckPath).toBe('/healthz');
  });

  test.each([
    ['sandbox', '256', '512'],
    ['production', '512', '1024'],
  ] as const)('%s: task size %s CPU units, %s MiB', (stage, cpu, memory) => {
    expect(service(synthesized[stage].template)).toMatchObject({ Cpu: cpu, Memory: memory });
  });

  test.each([
    ['sandbox', 1, 2],
    ['production', 2, 10],
  ] as const)('%s: target tracking on average CPU at 60 %%, between %i and %i tasks', (stage, min, max) => {
    expect(service(synthesized[stage].template).ScalingTarget).toEqual({
      MinTaskCount: min,
      MaxTaskCount: max,
      AutoScalingMetric: 'AVERAGE_CPU',
      AutoScalingTargetValue: 60,
    });
  });

  test('its own Fargate cluster, not the default one, with Container Insights', () => {
    const cluster = onlyId(sandbox, 'AWS::ECS::Cluster');
    expect(service(sandbox).Cluster).toEqual({ Ref: cluster });
    sandbox.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    sandbox.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      Cluster: { Ref: cluster },
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    });
  });

  test('Container Insights logs to a group of the template, made before the cluster', () => {
    const insights = onlyId(sandbox, 'AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': ['', Match.arrayWith(['/aws/ecs/containerinsights/coa-express-', '/performance'])],
      },
    });
    sandbox.hasResource('AWS::ECS::Cluster', { DependsOn: [insights] });
  });

  test('network: explicit public subnets (internet-facing load balancer) and its own security group', () => {
    const { NetworkConfiguration } = service(sandbox);
    expect(subnetKinds(NetworkConfiguration.Subnets)).toEqual(['public', 'public']);
    const taskSecurityGroup = onlyId(sandbox, 'AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^ECS Express Mode sample app tasks'),
    });
    expect(NetworkConfiguration.SecurityGroups).toEqual([{ 'Fn::GetAtt': [taskSecurityGroup, 'GroupId'] }]);
    expect(
      resourcesOf(sandbox, 'AWS::EC2::SecurityGroup')[taskSecurityGroup].Properties.SecurityGroupIngress,
    ).toBeUndefined();
  });

  test.each([
    ['sandbox', ['private']],
    ['production', ['private', 'private']],
  ] as const)(
    '%s: ECR and CloudWatch Logs through interface endpoints with private DNS, in %j subnets',
    (stage, subnets) => {
      const { template } = synthesized[stage];
      const endpoints = Object.values(resourcesOf(template, 'AWS::EC2::VPCEndpoint')).map(
        (e) => e.Properties,
      );
      expect(
        endpoints.map((e) => JSON.stringify(e.ServiceName).match(/\.(ecr\.api|ecr\.dkr|logs)"/)?.[1]),
      ).toEqual(['ecr.api', 'ecr.dkr', 'logs']);
      for (const endpoint of endpoints) {
        expect(endpoint).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
        expect(subnetKinds(endpoint.SubnetIds)).toEqual(subnets);
      }
    },
  );

  test("the endpoints admit HTTPS from the VPC's CIDR only", () => {
    const endpointGroups = Object.values(
      resourcesOf(sandbox, 'AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('Endpoint/SecurityGroup$'),
      }),
    );
    expect(endpointGroups).toHaveLength(3);
    for (const group of endpointGroups) {
      expect(group.Properties.SecurityGroupIngress).toEqual([
        expect.objectContaining({
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          CidrIp: {
            'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(/CidrBlock/) }),
          },
        }),
      ]);
    }
  });

  test('execution role: ECS may pull this one repository and write to this log group, nothing else', () => {
    const [executionRole, role] = taskPrincipalRole('task execution role');
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(statementsOfRole(sandbox, executionRole)).toEqual([
      {
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        Effect: 'Allow',
        Resource: SAMPLE_APP_REPOSITORY_ARN,
      },
      { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' },
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [appLogGroup(sandbox), 'Arn'] },
      },
    ]);
    expect(service(sandbox).ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [executionRole, 'Arn'] });
  });

  test('task role: the app may call nothing', () => {
    const [taskRole, role] = taskPrincipalRole('task role');
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(statementsOfRole(sandbox, taskRole)).toEqual([]);
    expect(service(sandbox).TaskRoleArn).toEqual({ 'Fn::GetAtt': [taskRole, 'Arn'] });
  });

  test('infrastructure role: assumed by ECS, with the AWS managed policy for Express services only', () => {
    const [infrastructureRole, role] = assumedRole('ecs.amazonaws.com');
    expect(role.ManagedPolicyArns).toEqual([
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices',
          ],
        ],
      },
    ]);
    expect(statementsOfRole(sandbox, infrastructureRole)).toEqual([]);
    expect(service(sandbox).InfrastructureRoleArn).toEqual({ 'Fn::GetAtt': [infrastructureRole, 'Arn'] });
  });

  test('container logs go to our log group, with the stage retention and removal', () => {
    for (const stage of STAGES) {
      const { template } = synthesized[stage];
      expect(service(template).PrimaryContainer.AwsLogsConfiguration).toEqual({
        LogGroup: { Ref: appLogGroup(template) },
        LogStreamPrefix: 'express',
      });
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: stage === 'production' ? 365 : 7 },
        DeletionPolicy: stage === 'production' ? 'Retain' : 'Delete',
      });
    }
  });

  test('the first task finds its execution policy, Fargate capacity and endpoints in place', () => {
    const needed = [
      onlyId(sandbox, 'AWS::IAM::Policy'),
      onlyId(sandbox, 'AWS::ECS::ClusterCapacityProviderAssociations'),
      ...Object.keys(resourcesOf(sandbox, 'AWS::EC2::VPCEndpoint')),
    ];
    expect(only(sandbox, 'AWS::ECS::ExpressGatewayService').DependsOn).toEqual(
      expect.arrayContaining(needed),
    );
  });

  test('outputs the service URL', () => {
    sandbox.hasOutput('ServiceUrl', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': ['Service', 'Endpoint'] }]] },
    });
  });

  test('no load balancer, target group or scaling policy in the template: Express Mode builds those', () => {
    for (const type of [
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      'AWS::ApplicationAutoScaling::ScalingPolicy',
      'AWS::ECS::TaskDefinition',
      'AWS::ECS::Service',
    ]) {
      sandbox.resourceCountIs(type, 0);
    }
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

  test('cdk-nag: it acknowledges the managed policy, the registry login and the endpoint rule only', () => {
    const { stack } = synthesized.sandbox;
    const acknowledged = nagAcknowledgments(stack).map((ack) => `${ack.path} ${ack.id}`);
    const path = stack.stackName;
    expect(acknowledged.sort()).toEqual(
      [
        `${path}/EcrApiEndpoint Annotation::AwsSolutions-EC23`,
        `${path}/EcrDockerEndpoint Annotation::AwsSolutions-EC23`,
        `${path}/LogsEndpoint Annotation::AwsSolutions-EC23`,
        `${path}/ExecutionRole Annotation::AwsSolutions-IAM5[Resource::*]`,
        `${path}/InfrastructureRole Annotation::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices]`,
      ].sort(),
    );
  });

  test.each(STAGES)('%s: snapshot', (stage) => {
    expect(synthesized[stage].template.toJSON()).toMatchSnapshot();
  });
});

describe('Express Mode: what the template controls of the tasks', () => {
  test.each(STAGES)(
    "%s: no task definition of ours: ECS builds it from the primary container, which runs as the image's USER",
    (stage) => {
      const { template } = synthesized[stage];
      template.resourceCountIs('AWS::ECS::TaskDefinition', 0);
      // the Express API takes an image, port, command, environment, secrets and logs: no user,
      // read-only root file system or capabilities to set
      expect(service(template).PrimaryContainer.User).toBeUndefined();
    },
  );
});

describe('ECS Express Mode stack: observability', () => {
  const v = synthesized.sandbox;
  const serviceId = onlyId(sandbox, 'AWS::ECS::ExpressGatewayService');
  // the ECS service Express built: the last part of the Express service's ARN
  const dimensions = [
    'ClusterName',
    { Ref: logicalIdAt(v, 'Cluster') },
    'ServiceName',
    { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [serviceId, 'ServiceArn'] }] }] },
  ];

  test.each(STAGES)('%s: tasks missing for 10 minutes tells the alerts topic', (stage) => {
    const alarms = Object.values(alarmsToAlertsTopic(synthesized[stage]));
    expect(alarms).toHaveLength(1);
    const [, ...metrics] = alarms[0].Properties.Metrics;
    for (const { MetricStat } of metrics) {
      const { Namespace, MetricName, Dimensions } = MetricStat.Metric;
      expect(Namespace).toBe('ECS/ContainerInsights');
      expect([MetricName, ...dimensionsAsGraphed(Dimensions)]).toEqual([MetricName, ...dimensions]);
    }
  });

  test("the dashboard graphs the load balancer Express reports building, and the service's tasks", () => {
    const graphed = dashboardMetrics(only(sandbox, 'AWS::CloudWatch::Dashboard'));
    const balancer = graphed.filter((m) => m[0] === 'AWS/ApplicationELB');
    expect(balancer.map((m) => m[1])).toEqual([
      'RequestCount',
      'HTTPCode_Target_5XX_Count',
      'HTTPCode_ELB_5XX_Count',
      'TargetResponseTime',
      'TargetResponseTime',
    ]);
    // the dimension is the ARN's app/<name>/<id>
    const arn = { 'Fn::GetAtt': [serviceId, 'ECSManagedResourceArns.IngressPath.LoadBalancerArn'] };
    const fullName = [1, 2, 3].map((i) => JSON.stringify({ 'Fn::Select': [i, { 'Fn::Split': ['/', arn] }] }));
    for (const metric of balancer) expect(metric.slice(2)).toEqual(['LoadBalancer', fullName.join('/')]);
    expect(graphed).toContainEqual(['ECS/ContainerInsights', 'RunningTaskCount', ...dimensions]);
    expect(graphed).toContainEqual(['AWS/ECS', 'CPUUtilization', ...dimensions]);
    expect(graphed).toContainEqual(['AWS/ECS', 'MemoryUtilization', ...dimensions]);
  });
});

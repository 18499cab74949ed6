import { App, Aspects, Stack, Tags } from 'aws-cdk-lib';
import { AppRunnerStack } from './apprunner-stack';
import type { AppConfig, Platform } from './config';
import { EcsPatternsStack } from './ecs-patterns-stack';
import { EcsStack } from './ecs-stack';
import { EksStack } from './eks-stack';
import { ExpressStack } from './express-stack';
import { KeyGrantsForAwsServices } from './customer-managed-keys';
import { LambdaLogGroups } from './lambda-log-groups';
import { LogEncryption } from './log-encryption';
import { NetworkStack } from './network-stack';
import { RegistryStack } from './registry-stack';
import { stagePolicy } from './stage';

/** The stacks of one deployment, wired with typed props. Absent platforms are undefined. */
export interface ContainersOnAws {
  readonly network: NetworkStack;
  readonly registry: RegistryStack;
  readonly ecs?: EcsStack;
  readonly ecsPatterns?: EcsPatternsStack;
  readonly eks?: EksStack;
  readonly appRunner?: AppRunnerStack;
  readonly express?: ExpressStack;
}

/** Builds every stack the configuration asks for. The only place stacks are wired together. */
export function buildApp(app: App, config: AppConfig): ContainersOnAws {
  const policy = stagePolicy(config.stage, config.cpuArchitecture);
  const common = { env: config.env, terminationProtection: policy.deletionProtection };
  const name = (stack: string) => `${config.prefix}-${stack}`;
  const has = (platform: Platform) => config.platforms.has(platform);

  const network = new NetworkStack(app, name('network'), {
    ...common,
    description: 'containers-on-aws: the VPC every platform shares',
    network: config.network,
    policy,
  });
  const registry = new RegistryStack(app, name('registry'), {
    ...common,
    description: 'containers-on-aws: ECR repository and the sample app image',
    registry: config.registry,
    policy,
    prefix: config.prefix,
    cpuArchitecture: config.cpuArchitecture,
  });
  // Platform stacks name the image's repository rather than import it from the registry stack, so
  // CloudFormation cannot infer the order: they deploy after it, once the image has been copied.
  const afterRegistry = <T extends Stack>(stack: T): T => {
    stack.addStackDependency(registry, 'runs the image the registry stack copies into its repository');
    return stack;
  };
  const image = registry.image;
  const vpc = network.vpc;

  const ecs = has('ecs')
    ? afterRegistry(
        new EcsStack(app, name('ecs'), {
          ...common,
          description:
            'containers-on-aws: the sample app on Amazon ECS, an EC2 and a Fargate service behind one ALB',
          vpc,
          image,
          ecs: config.ecs,
          policy,
        }),
      )
    : undefined;
  // loadConfig refuses ecsPatterns without ecs: the patterns run on its cluster and share its guestbook
  const ecsPatterns =
    has('ecsPatterns') && ecs
      ? afterRegistry(
          new EcsPatternsStack(app, name('ecs-patterns'), {
            ...common,
            description:
              'containers-on-aws: ECS solution architectures: tasks started by S3 events and a schedule, an SQS worker, stopped-task alerts',
            config: config.ecsPatterns,
            policy,
            image,
            cluster: ecs.cluster,
            guestbook: ecs.guestbook,
          }),
        )
      : undefined;
  const eks = has('eks')
    ? afterRegistry(
        new EksStack(app, name('eks'), {
          ...common,
          description:
            'containers-on-aws: the sample app on Amazon EKS, with every node type, add-on and storage class',
          vpc,
          image,
          eks: config.eks,
          policy,
          clusterName: name('eks'),
        }),
      )
    : undefined;
  const appRunner = has('apprunner')
    ? afterRegistry(
        new AppRunnerStack(app, name('apprunner'), {
          ...common,
          description:
            'containers-on-aws: the sample app on AWS App Runner (existing App Runner customers only)',
          vpc,
          image,
          appRunner: config.appRunner,
          policy,
        }),
      )
    : undefined;
  const express = has('express')
    ? afterRegistry(
        new ExpressStack(app, name('express'), {
          ...common,
          description: 'containers-on-aws: the sample app on Amazon ECS Express Mode',
          vpc,
          image,
          express: config.express,
          policy,
        }),
      )
    : undefined;

  Aspects.of(app).add(new LambdaLogGroups(policy));
  Aspects.of(app).add(new LogEncryption(policy));
  Aspects.of(app).add(new KeyGrantsForAwsServices());
  Tags.of(app).add('project', 'containers-on-aws');
  Tags.of(app).add('stage', config.stage);
  return { network, registry, ecs, ecsPatterns, eks, appRunner, express };
}

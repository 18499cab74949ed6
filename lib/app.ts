import { App, Aspects, Tags } from 'aws-cdk-lib';
import type { AppConfig } from './config';
import { LambdaLogGroups } from './lambda-log-groups';
import { NetworkStack } from './network-stack';
import { RegistryStack } from './registry-stack';
import { stagePolicy } from './stage';

/** The stacks of one deployment, wired with typed props. Absent platforms are undefined. */
export interface ContainersOnAws {
  readonly network: NetworkStack;
  readonly registry: RegistryStack;
}

/** Builds every stack the configuration asks for. The only place stacks are wired together. */
export function buildApp(app: App, config: AppConfig): ContainersOnAws {
  const policy = stagePolicy(config.stage);
  const common = { env: config.env, terminationProtection: config.stage === 'production' };
  const name = (stack: string) => `${config.prefix}-${stack}`;

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

  Aspects.of(app).add(new LambdaLogGroups(policy));
  Tags.of(app).add('project', 'containers-on-aws');
  Tags.of(app).add('stage', config.stage);
  return { network, registry };
}

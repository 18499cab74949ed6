import * as path from 'node:path';
import { CfnOutput, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { DockerImageName, ECRDeployment } from 'cdk-ecr-deployment';
import type { Construct } from 'constructs';
import type { CpuArchitecture, RegistryConfig } from './config';
import type { StagePolicy } from './stage';

/** The sample app's image as every platform stack runs it: `repository:tag`. */
export interface SampleAppImage {
  readonly repository: ecr.IRepository;
  /** Derived from the content of `app/`, so a code change gives a new tag and rolls every platform. */
  readonly tag: string;
  readonly cpuArchitecture: CpuArchitecture;
}

export interface RegistryStackProps extends StackProps {
  readonly registry: RegistryConfig;
  readonly policy: StagePolicy;
  readonly prefix: string;
  readonly cpuArchitecture: CpuArchitecture;
}

/** Where the app directory lives: the Docker build context is `app/` alone. */
export const APP_DIR = path.join(__dirname, '..', 'app');

/**
 * ECR: a private repository for the sample app, and the image in it.
 *
 * The image is built from `app/` as a CDK asset when you deploy (synth needs no Docker), pushed to
 * the CDK bootstrap repository, then copied into our repository under a content-derived tag.
 */
export class RegistryStack extends Stack {
  readonly image: SampleAppImage;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props);
    const { registry, policy, prefix, cpuArchitecture } = props;

    const repositoryName = `${prefix}/sample-app`;
    const repository = new ecr.Repository(this, 'SampleAppRepository', {
      repositoryName,
      // basic scanning on push is free; registry-level enhanced scanning (Amazon Inspector) also
      // rescans old images when new CVEs appear, but is account-wide and billed per image
      imageScanOnPush: true,
      // a tag always means the same image: deploys are reproducible, rollbacks are real
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      removalPolicy: policy.dataRemovalPolicy,
      emptyOnDelete: policy.stage === 'sandbox',
      lifecycleRules: [
        {
          description: 'Untagged images are leftovers of overwritten pushes',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(1),
          rulePriority: 1,
        },
        {
          description: `Keep the last ${registry.keepTaggedImages} tagged images for rollback`,
          tagStatus: ecr.TagStatus.TAGGED,
          tagPatternList: ['*'],
          maxImageCount: registry.keepTaggedImages,
          rulePriority: 2,
        },
      ],
    });

    const asset = new DockerImageAsset(this, 'SampleAppImageAsset', {
      directory: APP_DIR,
      platform: cpuArchitecture === 'arm64' ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
    });
    const tag = asset.assetHash;
    const copyRole = imageCopyRole(this, asset, repository);
    const copy = new ECRDeployment(this, 'CopySampleAppImage', {
      src: new DockerImageName(asset.imageUri),
      dest: new DockerImageName(repository.repositoryUriForTag(tag)),
      imageArch: [cpuArchitecture === 'arm64' ? 'arm64' : 'amd64'],
      // a role the library cannot add to: it would grant ECR and S3 actions on every resource
      role: copyRole.withoutPolicyUpdates(),
    });
    // It logs to the group CDK made for it, named after the function: a policy of its own, since the
    // function must wait for the role's default policy. The copy itself waits for both.
    const copyFunction = copy.node.findChild('CustomResourceHandler') as lambda.SingletonFunction;
    const copyLogs = new iam.Policy(this, 'CopySampleAppImageLogs', {
      roles: [copyRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [copyFunction.logGroup.logGroupArn],
        }),
      ],
    });
    copy.node.addDependency(copyLogs);

    // Platform stacks get the repository by name, not as a cross-stack reference: its ARN and URI are
    // then built from each stack's own account and region, with no other stack's output inside
    // Fn::Split (cfn-lint E1022). lib/app.ts makes every platform stack depend on this one instead.
    this.image = {
      repository: ecr.Repository.fromRepositoryName(this, 'SampleAppRepositoryByName', repositoryName),
      tag,
      cpuArchitecture,
    };
    new CfnOutput(this, 'SampleAppImageUri', { value: repository.repositoryUriForTag(tag) });
  }
}

/** The copy function's role, scoped to the two repositories it touches. */
function imageCopyRole(scope: Construct, asset: DockerImageAsset, target: ecr.IRepository): iam.Role {
  const role = new iam.Role(scope, 'CopySampleAppImageRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'Copies the sample app image from the CDK asset repository into the app repository',
  });
  asset.repository.grantPull(role);
  target.grantPullPush(role);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only ecr:GetAuthorizationToken is on *: the API has no resource scope (a login covers the registry)',
  });
  return role;
}

import * as path from 'node:path';
import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import type { Construct } from 'constructs';
import type { CpuArchitecture, RegistryConfig } from './config';
import type { SampleAppImage } from './sample-app';
import { PROJECT_ROOT } from './paths';
import { ImageCopy } from './registry/image-copy';
import type { StagePolicy } from './stage';

export interface RegistryStackProps extends StackProps {
  readonly registry: RegistryConfig;
  readonly policy: StagePolicy;
  readonly prefix: string;
  readonly cpuArchitecture: CpuArchitecture;
}

/** Where the app directory lives: the Docker build context is `app/` alone. */
export const APP_DIR = path.join(PROJECT_ROOT, 'app');

/**
 * ECR: a private repository for the sample app, and the image in it.
 *
 * The image is built from `app/` as a CDK asset when you deploy (synth needs no Docker), pushed to
 * the CDK bootstrap repository, then copied into our repository under a content-derived tag: once.
 * Tags are immutable, so a tag that is there already holds the build of that content, and the copy
 * leaves it alone; that is what lets a revert of `app/` or a rollback redeploy an earlier tag.
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
      emptyOnDelete: policy.emptyOnDelete,
      lifecycleRules: [
        {
          description:
            'Nothing is pushed untagged (tags are immutable, the copy tags what it pushes): expire strays',
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
    new ImageCopy(this, 'CopySampleAppImage', {
      source: { repository: asset.repository, tag: asset.imageTag },
      target: { repository, tag },
      platform: cpuArchitecture === 'arm64' ? 'linux/arm64' : 'linux/amd64',
    });

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

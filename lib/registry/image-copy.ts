import { CustomResource, Duration } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledgeControlTowerRule } from '../control-tower-acknowledgments';
import { inlineHandler } from '../inline-handler';
import { functionLogsPolicy } from '../lambda-log-groups';
import type { ImageCopyProperties } from './copy-image-handler';

/** An image in an ECR repository, by tag. */
export interface TaggedImage {
  readonly repository: ecr.IRepository;
  readonly tag: string;
}

export interface ImageCopyProps {
  /** Where the image is: for a `DockerImageAsset`, its `repository` and `imageTag`. */
  readonly source: TaggedImage;
  /** Where it goes. With immutable tags, a tag that exists there already is left as it is. */
  readonly target: TaggedImage;
  /** `os/architecture` of the image to copy when the source is an index, e.g. `linux/arm64`. */
  readonly platform: string;
  /**
   * How long one copy may take. Layers stream through in parts of at most 20 MiB, so the time grows
   * with the image's size while memory does not.
   * @default 5 minutes: time for a ~100 MB image at 0.35 MB/s
   */
  readonly timeout?: Duration;
}

const RUNTIME = lambda.Runtime.NODEJS_24_X;
/** The function's code, as a path from the repository's root. */
const HANDLER_SOURCE = 'lib/registry/copy-image-handler.ts';

/**
 * Copies an image from one ECR repository to another at deploy time, idempotently: a custom resource
 * whose function (lib/registry/copy-image-handler.ts) does nothing when the target tag exists, and
 * otherwise copies the image manifest (the one for `platform`, when the source is an index) and the
 * blobs the target lacks with ECR's API. Redeploying an earlier version, or rolling back to one, therefore cannot fail on an
 * immutable tag.
 *
 * The function's code is inline in the template (CloudFormation takes up to 4 MB of ZipFile since
 * 2022; aws/aws-cdk#30761): the handler is transpiled at synth, and there is no asset to stage.
 */
export class ImageCopy extends Construct {
  constructor(scope: Construct, id: string, props: ImageCopyProps) {
    super(scope, id);
    const { source, target } = props;
    const timeout = props.timeout ?? Duration.minutes(5);

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies an image between two ECR repositories by tag, with the ECR API',
    });
    // ECR API calls need no registry login (ecr:GetAuthorizationToken): every action is on a repository
    source.repository.grant(role, 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer');
    target.repository.grant(
      role,
      'ecr:DescribeImages',
      'ecr:BatchCheckLayerAvailability',
      'ecr:InitiateLayerUpload',
      'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload',
      'ecr:PutImage',
    );

    const fn = new lambda.Function(this, 'Function', {
      description: 'Copies an image between two ECR repositories by tag; a tag that exists is left alone',
      runtime: RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromInline(inlineHandler(HANDLER_SOURCE, RUNTIME)),
      handler: 'index.handler',
      role,
      timeout,
      // one part of at most 20 MiB in memory a few times over (download, part, the SDK's request body)
      memorySize: 512,
    });
    acknowledgeControlTowerRule(
      fn,
      'lambda_inside_vpc_check',
      'The registry stack has no VPC (it does not depend on the network stack); the function calls ECR only, over TLS, with its own role',
    );
    const logs = functionLogsPolicy(this, 'Logs', fn, role);

    const properties: ImageCopyProperties = {
      SourceRepository: source.repository.repositoryName,
      SourceTag: source.tag,
      TargetRepository: target.repository.repositoryName,
      TargetTag: target.tag,
      Platform: props.platform,
    };
    const copy = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::ImageCopy',
      properties,
      // the function always answers; this bounds the wait when it cannot (killed at its timeout)
      serviceTimeout: timeout.plus(Duration.minutes(1)),
    });
    copy.node.addDependency(logs);
  }
}

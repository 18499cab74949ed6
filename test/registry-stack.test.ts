import { Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { STAGE_CONTEXT, STAGES, synthesize } from './support/synth';
import { actionsOf, only, resourcesOf } from './support/template';

const synthesized = {
  sandbox: synthesize({ ...STAGE_CONTEXT.sandbox, platforms: 'none' }),
  production: synthesize({ ...STAGE_CONTEXT.production, platforms: 'none' }),
};
const sandbox = synthesized.sandbox.template(synthesized.sandbox.stacks.registry);
const production = synthesized.production.template(synthesized.production.stacks.registry);

describe('registry stack', () => {
  test('scans every image on push', () => {
    sandbox.hasResourceProperties('AWS::ECR::Repository', {
      ImageScanningConfiguration: { ScanOnPush: true },
    });
  });

  test('tags are immutable: a tag always names the same image', () => {
    sandbox.hasResourceProperties('AWS::ECR::Repository', { ImageTagMutability: 'IMMUTABLE' });
  });

  test('encrypts images with KMS', () => {
    sandbox.hasResourceProperties('AWS::ECR::Repository', {
      EncryptionConfiguration: { EncryptionType: 'KMS' },
    });
  });

  test('lifecycle: untagged images expire after a day, the last N tagged images stay', () => {
    const repository = only(sandbox, 'AWS::ECR::Repository');
    const policy = JSON.parse(repository.Properties.LifecyclePolicy.LifecyclePolicyText);
    expect(policy.rules).toEqual([
      expect.objectContaining({
        rulePriority: 1,
        selection: {
          tagStatus: 'untagged',
          countType: 'sinceImagePushed',
          countNumber: 1,
          countUnit: 'days',
        },
        action: { type: 'expire' },
      }),
      expect.objectContaining({
        rulePriority: 2,
        selection: {
          tagStatus: 'tagged',
          tagPatternList: ['*'],
          countType: 'imageCountMoreThan',
          countNumber: 5,
        },
        action: { type: 'expire' },
      }),
    ]);
  });

  test('sandbox: the repository and its images go with the stack', () => {
    sandbox.hasResource('AWS::ECR::Repository', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ EmptyOnDelete: true }),
    });
  });

  test('production: the repository outlives the stack and is not emptied', () => {
    production.hasResource('AWS::ECR::Repository', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EmptyOnDelete: false }),
    });
  });

  describe('the image copy (lib/registry/image-copy.ts)', () => {
    const { tag } = synthesized.sandbox.stacks.registry.image;
    const ofType = (type: string) => Object.entries(resourcesOf(sandbox, type));
    const [[functionId, copyFunction]] = ofType('AWS::Lambda::Function');
    const [[, copy]] = ofType('Custom::ImageCopy');
    const bootstrapRepositoryArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ecr:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':repository/',
          { 'Fn::Sub': 'cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}' },
        ],
      ],
    };

    test('copies the asset from the bootstrap repository into ours, under the tag derived from app/', () => {
      expect(tag).toMatch(/^[0-9a-f]{64}$/);
      expect(copy.Properties).toEqual({
        ServiceToken: { 'Fn::GetAtt': [functionId, 'Arn'] },
        ServiceTimeout: expect.any(String),
        SourceRepository: { 'Fn::Sub': 'cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}' },
        SourceTag: tag,
        TargetRepository: { Ref: expect.stringMatching(/^SampleAppRepository/) },
        TargetTag: tag,
        // the default architecture: the one image out of an index a Docker build may push
        Platform: 'linux/amd64',
      });
    });

    test('a failure cannot leave CloudFormation waiting an hour: the wait ends a minute after the function', () => {
      expect(Number(copy.Properties.ServiceTimeout)).toBe(copyFunction.Properties.Timeout + 60);
      expect(copyFunction.Properties.Timeout).toBe(300);
    });

    test('runs on the newest Node.js runtime this aws-cdk-lib offers, on arm64', () => {
      const newest = Object.values(lambda.Runtime)
        .filter((r): r is lambda.Runtime => r instanceof lambda.Runtime && /^nodejs\d+\.x$/.test(r.name))
        .map((r) => r.name)
        .sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6)))
        .pop();
      expect(copyFunction.Properties).toMatchObject({ Runtime: newest, Architectures: ['arm64'] });
    });

    test('its code is inline, the transpiled handler: nothing to stage, nothing required but the runtime SDK', () => {
      expect(Object.keys(copyFunction.Properties.Code)).toEqual(['ZipFile']);
      const code: string = copyFunction.Properties.Code.ZipFile;
      expect(copyFunction.Properties.Handler).toBe('index.handler');
      expect(code).toContain('handler: () => handler');
      expect([...code.matchAll(/require\(([^)]*)\)/g)].map((m) => m[1])).toEqual(['"@aws-sdk/client-ecr"']);
    });

    test('least privilege: reads the bootstrap repository, writes ours, logs to its own group, nothing on *', () => {
      const statements = ofType('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          Resource: bootstrapRepositoryArn,
        },
        {
          Effect: 'Allow',
          Action: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:CompleteLayerUpload',
            'ecr:DescribeImages',
            'ecr:InitiateLayerUpload',
            'ecr:PutImage',
            'ecr:UploadLayerPart',
          ],
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SampleAppRepository/), 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CopySampleAppImageFunctionLogGroup/), 'Arn'] },
        },
      ]);
    });

    test('the copy waits for the logging policy; its log group expires (LambdaLogGroups)', () => {
      const [[logsPolicyId]] = ofType('AWS::IAM::Policy').filter(([, p]) =>
        actionsOf(p.Properties.PolicyDocument.Statement).includes('logs:PutLogEvents'),
      );
      expect(copy.DependsOn).toEqual([logsPolicyId]);
      // the function logs to a group CloudFormation names and creates first (LoggingConfig)
      const [[logGroupId, logGroup]] = ofType('AWS::Logs::LogGroup');
      expect(copyFunction.Properties.LoggingConfig).toEqual({
        LogGroup: { Ref: logGroupId },
      });
      expect(logGroup.Properties).toMatchObject({ RetentionInDays: 7 });
    });

    test('nothing of cdk-ecr-deployment is left: no custom resource, no Go handler, no staged code', () => {
      expect(ofType('Custom::CDKECRDeployment')).toEqual([]);
      expect(ofType('Custom::CDKBucketDeployment')).toEqual([]);
      expect(ofType('AWS::Lambda::Function')).toHaveLength(1);
      expect(JSON.stringify(sandbox.toJSON())).not.toMatch(/CDKECRDeployment|provided\.al2023|S3Key/);
    });
  });

  test.each(STAGES)('%s: snapshot', (stage) => {
    expect({ sandbox, production }[stage].toJSON()).toMatchSnapshot();
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { STAGE_CONTEXT, STAGES, synthesize } from './support/synth';

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
    const repository = Object.values(sandbox.findResources('AWS::ECR::Repository'))[0];
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

  test('the image is copied into the repository under a tag derived from the content of app/', () => {
    const { tag } = synthesized.sandbox.stacks.registry.image;
    expect(tag).toMatch(/^[0-9a-f]{64}$/);
    sandbox.hasResourceProperties('Custom::CDKECRDeployment', {
      DestImage: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith([`:${tag}`])]),
      }),
    });
  });

  test('the copy function may push only to this repository', () => {
    const policies = sandbox.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const pushes = statements.filter((s) => [s.Action].flat().includes('ecr:PutImage'));
    expect(pushes).toHaveLength(1);
    expect(pushes[0].Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^SampleAppRepository/), 'Arn'],
    });
    const wildcard = statements.filter((s) => s.Resource === '*');
    expect(wildcard.flatMap((s) => [s.Action].flat())).toEqual(['ecr:GetAuthorizationToken']);
  });

  test.each(STAGES)('%s: snapshot', (stage) => {
    expect({ sandbox, production }[stage].toJSON()).toMatchSnapshot();
  });
});

import { Duration, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { StagePolicy } from './stage';

/**
 * A bucket for access logs (ALB, S3 server access): SSE-S3, because neither service writes to
 * KMS-encrypted buckets; TLS only; kept for the stage's log retention.
 */
export function accessLogBucket(scope: Construct, id: string, policy: StagePolicy): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: policy.dataRemovalPolicy,
    lifecycleRules: [{ expiration: Duration.days(policy.logRetention) }],
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This bucket holds access logs itself; logging access to it would need yet another log bucket',
  });
  return bucket;
}

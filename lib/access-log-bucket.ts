import { Duration, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeControlTowerRule } from './control-tower-acknowledgments';
import type { StagePolicy } from './stage';

/** How long an overwritten or deleted object's previous version stays restorable. */
export const NONCURRENT_VERSION_DAYS = 30;

/**
 * What every bucket of ours keeps: versions (CT.S3.PR.11) whose previous copies expire, and parts of
 * uploads that never completed cleaned away (CT.S3.PR.6); TLS only; no public access.
 */
export const BUCKET_DEFAULTS = {
  versioned: true,
  enforceSSL: true,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
} satisfies s3.BucketProps;

export function lifecycleRules(expiration?: Duration): s3.LifecycleRule[] {
  return [
    {
      expiration,
      noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    },
  ];
}

/**
 * CT.S3.PR.9 on a bucket: object lock would make every object undeletable for its retention, by
 * anyone, and is set when the bucket is created. Versioning already keeps what is overwritten or
 * deleted for NONCURRENT_VERSION_DAYS; an account that must keep objects immutable (compliance) turns
 * object lock on in a bucket of its own.
 */
export function acknowledgeNoObjectLock(bucket: s3.Bucket): void {
  acknowledgeControlTowerRule(
    bucket,
    's3_bucket_object_lock_enabled_check',
    `Versioning keeps overwritten and deleted objects ${NONCURRENT_VERSION_DAYS} days; object lock would forbid deleting any object, the bucket's own cleanup included`,
  );
}

/**
 * A bucket for access logs (ALB, S3 server access): SSE-S3, because neither service writes to
 * KMS-encrypted buckets; TLS only; kept for the stage's log retention.
 */
export function accessLogBucket(scope: Construct, id: string, policy: StagePolicy): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    ...BUCKET_DEFAULTS,
    encryption: s3.BucketEncryption.S3_MANAGED,
    removalPolicy: policy.dataRemovalPolicy,
    lifecycleRules: lifecycleRules(Duration.days(policy.logRetention)),
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This bucket holds access logs itself; logging access to it would need yet another log bucket',
  });
  acknowledgeControlTowerRule(
    bucket,
    's3_bucket_logging_enabled_check',
    'This bucket holds access logs itself; logging access to it would need yet another log bucket',
  );
  acknowledgeControlTowerRule(
    bucket,
    's3_bucket_default_encryption_kms_check',
    'ALB access logs and S3 server access logs can only be written to buckets encrypted with SSE-S3',
  );
  acknowledgeControlTowerRule(
    bucket,
    's3_event_notifications_enabled_check',
    'Access logs are read when someone investigates; no process acts on each new log object',
  );
  acknowledgeNoObjectLock(bucket);
  return bucket;
}

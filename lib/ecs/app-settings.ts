import { Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { customerManagedKey } from '../customer-managed-keys';
import type { StagePolicy } from '../stage';

/**
 * One secret and one parameter, handed to the container as environment variables (concept:
 * "reference secrets from Secrets Manager or SSM Parameter Store"). ECS reads them at task start
 * with the task execution role; the app never calls either service.
 */
export function sampleAppSettings(scope: Construct, policy: StagePolicy): Record<string, ecs.Secret> {
  const apiKey = new secretsmanager.Secret(scope, 'SampleAppApiKey', {
    description: 'Sample app: a generated secret ECS hands to the container as APP_API_KEY',
    generateSecretString: { passwordLength: 32, excludePunctuation: true },
    removalPolicy: policy.dataRemovalPolicy,
    // production: a key of ours, whose policy and CloudTrail record say who may read the secret;
    // the execution role's read grant includes decrypting with it (through Secrets Manager only)
    encryptionKey: policy.secretKeys
      ? customerManagedKey(scope, 'SampleAppSecretsKey', 'Sample app secrets', policy)
      : undefined,
  });
  // Not rotated: rotation changes the value in Secrets Manager and in the system that checks it, and
  // behind this demo value there is no such system; a rotation Lambda would rotate it for nothing.
  // A real credential gets `apiKey.addRotationSchedule(...)` with a rotation function for its system.
  Validations.of(apiKey).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'A demo value with no system behind it to rotate; rotation would need a rotation Lambda for nothing',
  });
  const welcome = new ssm.StringParameter(scope, 'SampleAppWelcome', {
    description: 'Sample app: a plain setting ECS hands to the container as WELCOME_MESSAGE',
    stringValue: 'Hello from Amazon ECS',
  });
  return {
    APP_API_KEY: ecs.Secret.fromSecretsManager(apiKey),
    WELCOME_MESSAGE: ecs.Secret.fromSsmParameter(welcome),
  };
}

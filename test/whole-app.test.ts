import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as url from 'node:url';
import { promisify } from 'node:util';
import type { App } from 'aws-cdk-lib';
import { controlTowerAcknowledgments, nagAcknowledgments } from './support/acknowledgments';
import {
  assemble,
  CDK_JSON_CONTEXT,
  STAGE_CONTEXT,
  STAGES,
  synthesize,
  validationReport,
} from './support/synth';
import type { Resource } from './support/template';

/**
 * Guarantees over every stack of the default app (every platform), in both stages: what a newcomer
 * must be able to trust before spending money, whatever a stack's own tests say.
 */
// one app per stage, judged as `cdk synth` judges it (CDK's template validation, cdk-nag and, in
// production, AWS Control Tower's proactive controls): the guarantees below and the judges' verdicts
// read the same synthesis
const apps = {
  sandbox: synthesize(STAGE_CONTEXT.sandbox, { judge: true }),
  production: synthesize(STAGE_CONTEXT.production, { judge: true }),
};
type Stage = (typeof STAGES)[number];
// CloudFormation JSON: its shape depends on the resource type, so these checks read it untyped
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Every resource of every stack of a stage, as `stack/logicalId` -> resource. */
function resources(stage: Stage): [string, Resource][] {
  const { app, template } = apps[stage];
  return app.node.children
    .filter((child): child is import('aws-cdk-lib').Stack => 'templateOptions' in child)
    .flatMap((stack) =>
      Object.entries(template(stack).toJSON().Resources as Record<string, Resource>).map(
        ([id, resource]) => [`${stack.stackName}/${id}`, resource] as [string, Resource],
      ),
    );
}

/** Resource types that hold data a production deployment must keep. */
const DATA = ['AWS::EFS::FileSystem', 'AWS::ECR::Repository', 'AWS::S3::Bucket', 'AWS::KMS::Key'];

describe('sandbox: cdk destroy leaves nothing behind', () => {
  test('no resource in Json stack is retained on delete', () => {
    const retained = resources('sandbox')
      .filter(([, r]) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate')
      .map(([id, r]) => `${id} (${r.Type})`);
    expect(retained).toEqual([]);
  });

  test('every bucket empties itself and every repository is emptied on delete', () => {
    const sandbox = resources('sandbox');
    const buckets = sandbox.filter(([, r]) => r.Type === 'AWS::S3::Bucket').map(([id]) => id);
    const autoDeleted = sandbox
      .filter(([, r]) => r.Type === 'Custom::S3AutoDeleteObjects')
      .map(([id, r]) => `${id.split('/')[0]}/${r.Properties.BucketName.Ref}`);
    expect(autoDeleted.sort()).toEqual(buckets.sort());
    const repositories = sandbox.filter(([, r]) => r.Type === 'AWS::ECR::Repository');
    expect(repositories.map(([, r]) => r.Properties.EmptyOnDelete)).toEqual([true]);
  });

  test('every log group expires its events', () => {
    const forever = resources('sandbox')
      .filter(([, r]) => r.Type === 'AWS::Logs::LogGroup' && !r.Properties?.RetentionInDays)
      .map(([id]) => id);
    expect(forever).toEqual([]);
  });
});

describe('production keeps its data', () => {
  test.each(DATA)('%s: retained', (type) => {
    const all = resources('production').filter(([, r]) => r.Type === type);
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter(([, r]) => r.DeletionPolicy !== 'Retain').map(([id]) => id)).toEqual([]);
  });

  test('file systems are backed up', () => {
    const fileSystems = resources('production').filter(([, r]) => r.Type === 'AWS::EFS::FileSystem');
    expect(fileSystems.map(([, r]) => r.Properties.BackupPolicy)).toEqual(
      fileSystems.map(() => ({ Status: 'ENABLED' })),
    );
  });
});

describe.each(STAGES)('%s: least privilege', (stage) => {
  const statements = () =>
    resources(stage)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::Role')
      .flatMap(([id, r]) => {
        const documents =
          r.Type === 'AWS::IAM::Policy'
            ? [r.Properties.PolicyDocument]
            : (r.Properties.Policies ?? []).map((p: Json) => p.PolicyDocument);
        return documents.flatMap((d: Json) => d.Statement.map((s: Json) => ({ id, ...s })));
      })
      .filter((s) => s.Effect === 'Allow');
  const list = (value: unknown) => [value].flat() as unknown[];

  test('no statement allows every action', () => {
    expect(statements().filter((s) => list(s.Action).includes('*'))).toEqual([]);
  });

  test('no statement allows every action of a service on every resource', () => {
    const serviceWide = statements().filter(
      (s) => list(s.Resource).includes('*') && list(s.Action).some((a) => /^[a-z0-9-]+:\*$/.test(String(a))),
    );
    expect(serviceWide.map((s) => `${s.id}: ${list(s.Action).join(',')}`)).toEqual([]);
  });
});

describe.each(STAGES)('%s: no public compute', (stage) => {
  test('no subnet hands out public IPs', () => {
    const mapping = resources(stage).filter(
      ([, r]) => r.Type === 'AWS::EC2::Subnet' && r.Properties.MapPublicIpOnLaunch !== false,
    );
    expect(mapping.map(([id]) => id)).toEqual([]);
  });

  test('no ECS service or task gets a public IP', () => {
    const services = resources(stage).filter(([, r]) => r.Type === 'AWS::ECS::Service');
    expect(services.length).toBeGreaterThan(0);
    const publicServices = services.filter(
      ([, r]) => r.Properties.NetworkConfiguration?.AwsvpcConfiguration?.AssignPublicIp === 'ENABLED',
    );
    expect(publicServices.map(([id]) => id)).toEqual([]);
    const publicTargets = resources(stage).filter(([, r]) =>
      (r.Properties?.Targets ?? []).some(
        (t: Json) => t.EcsParameters?.NetworkConfiguration?.AwsVpcConfiguration?.AssignPublicIp === 'ENABLED',
      ),
    );
    expect(publicTargets.map(([id]) => id)).toEqual([]);
  });

  test('only the NAT instance asks for a public address; no launch template does', () => {
    const instances = resources(stage).filter(([, r]) => r.Type === 'AWS::EC2::Instance');
    const nonNat = instances.filter(([, r]) => r.Properties.SourceDestCheck !== false);
    expect(nonNat.map(([id]) => id)).toEqual([]);
    const templates = resources(stage).filter(([, r]) => r.Type === 'AWS::EC2::LaunchTemplate');
    const publicTemplates = templates.filter(([, r]) =>
      (r.Properties.LaunchTemplateData.NetworkInterfaces ?? []).some((n: Json) => n.AssociatePublicIpAddress),
    );
    expect(publicTemplates.map(([id]) => id)).toEqual([]);
  });

  test('instances, node groups and Fargate profiles run in private subnets only', () => {
    const placements = resources(stage).flatMap(([id, r]) => {
      const subnets =
        r.Type === 'AWS::AutoScaling::AutoScalingGroup'
          ? r.Properties.VPCZoneIdentifier
          : r.Type === 'AWS::EKS::Nodegroup' || r.Type === 'AWS::EKS::FargateProfile'
            ? r.Properties.Subnets
            : [];
      return subnets.map((subnet: unknown) => ({ id, subnet: JSON.stringify(subnet) }));
    });
    expect(placements.length).toBeGreaterThan(0);
    expect(placements.filter(({ subnet }) => !/privateSubnet\d/.test(subnet))).toEqual([]);
  });
});

describe.each(STAGES)('%s: synthesis', (stage) => {
  test('no stack has a warning or an error annotation', () => {
    const { app } = apps[stage];
    // read from the assembly already built: another synth would run CDK's own aspects twice
    const assembly = assemble(app);
    const noisy = assembly.stacks.flatMap((stack) =>
      stack.messages
        .filter((message) => message.level !== 'info')
        .map((message) => `${message.id}: ${JSON.stringify(message.entry.data)}`),
    );
    expect(noisy).toEqual([]);
  });
});

/** Every judge's findings that nothing acknowledged, as `plugin: path: rule` lines. */
function unacknowledgedFindings(app: App): string[] {
  assemble(app);
  if (!fs.existsSync(validationReport(app))) return [];
  const report = JSON.parse(fs.readFileSync(validationReport(app), 'utf8'));
  return report.pluginReports.flatMap((plugin: { pluginName: string; violations: Violation[] }) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => `${plugin.pluginName}: ${c.constructPath}: ${v.ruleName}`),
    ),
  );
}

const CONTROL_TOWER = 'cdk-validator-cfnguard';

interface Violation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}

describe.each(STAGES)('cdk-nag AWS Solutions checks, %s', (stage) => {
  const { app } = apps[stage];

  test('no finding is left unacknowledged in any stack', () => {
    expect(unacknowledgedFindings(app).filter((line) => !line.startsWith(`${CONTROL_TOWER}:`))).toEqual([]);
  });

  test('every acknowledgment sits on a construct inside a stack, with a specific reason', () => {
    const all = nagAcknowledgments(app);
    expect(all.length).toBeGreaterThan(0);
    const stackWideOrVague = all.filter((ack) => ack.path.split('/').length < 2 || ack.reason.length < 30);
    expect(stackWideOrVague).toEqual([]);
  });
});

describe('AWS Control Tower proactive controls, production', () => {
  const { app } = apps.production;

  test('no finding is left unacknowledged in any stack', () => {
    const findings = unacknowledgedFindings(app).filter((line) => line.startsWith(`${CONTROL_TOWER}:`));
    expect(findings).toEqual([]);
  });

  test('every acknowledgment sits on one resource inside a stack, with a specific reason', () => {
    const all = controlTowerAcknowledgments(app);
    expect(all.length).toBeGreaterThan(0);
    const stackWideOrVague = all.filter((ack) => ack.path.split('/').length < 2 || ack.reason.length < 30);
    expect(stackWideOrVague).toEqual([]);
  });
});

describe.each(STAGES)('%s: data at rest', (stage) => {
  const all = () => resources(stage);
  const ofType = (type: string) => all().filter(([, r]) => r.Type === type);
  const stackOf = (id: string) => id.split('/')[0];
  const keysOf = (stack: string) =>
    ofType('AWS::KMS::Key')
      .filter(([id]) => stackOf(id) === stack)
      .map(([id]) => id.split('/')[1]);

  test('log groups: a key of their own stack in production, none in the sandbox; a year kept in production', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(10);
    for (const [id, r] of groups) {
      if (stage === 'production') {
        expect(keysOf(stackOf(id))).toContain(r.Properties.KmsKeyId?.['Fn::GetAtt']?.[0]);
        expect(r.Properties.RetentionInDays).toBeGreaterThanOrEqual(365);
      } else {
        expect(r.Properties.KmsKeyId).toBeUndefined();
      }
    }
  });

  test('a logs key lets CloudWatch Logs of its region use it for log groups only, and rotates', () => {
    const logsKeys = ofType('AWS::KMS::Key').filter(([id]) => id.split('/')[1].startsWith('LogsKey'));
    // one per stack that has log groups (App Runner's service keeps its logs itself)
    const withGroups = new Set(ofType('AWS::Logs::LogGroup').map(([id]) => stackOf(id)));
    expect(logsKeys.map(([id]) => stackOf(id)).sort()).toEqual(
      stage === 'production' ? [...withGroups].sort() : [],
    );
    for (const [, r] of logsKeys) {
      expect(r.Properties.EnableKeyRotation).toBe(true);
      const statement = r.Properties.KeyPolicy.Statement.find(
        (st: Json) => st.Sid === 'CloudWatchLogsOfThisAccount',
      );
      expect(JSON.stringify(statement.Principal.Service)).toMatch(
        /logs\.(eu-west-1|",\{"Ref":"AWS::Region"\},")\.amazonaws\.com/,
      );
      expect(JSON.stringify(statement.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toContain(
        ':log-group:*',
      );
    }
  });

  test('every KMS key rotates and lets only AWS services create grants (CT.KMS.PR.3)', () => {
    const keys = ofType('AWS::KMS::Key');
    expect(keys.length).toBeGreaterThan(0);
    for (const [, r] of keys) {
      expect(r.Properties.EnableKeyRotation).toBe(true);
      expect(r.Properties.KeyPolicy.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'kms:CreateGrant',
          Principal: { AWS: '*' },
          Condition: {
            BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
          },
        }),
      );
    }
  });

  test('buckets keep versions for a while and clean up; KMS in production except where a log service writes', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThan(0);
    // where ALB access logs and S3 server access logs go: those services write SSE-S3 only
    const logDestinations = new Set(
      all().flatMap(([id, r]) => {
        const refs =
          r.Type === 'AWS::S3::Bucket'
            ? [r.Properties.LoggingConfiguration?.DestinationBucketName]
            : r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer'
              ? r.Properties.LoadBalancerAttributes.filter(
                  (a: Json) => a.Key === 'access_logs.s3.bucket',
                ).map((a: Json) => a.Value)
              : [];
        return refs.filter((ref: Json) => ref?.Ref).map((ref: Json) => `${stackOf(id)}/${ref.Ref}`);
      }),
    );
    expect(logDestinations.size).toBe(stage === 'production' ? 2 : 0);
    for (const [id, r] of buckets) {
      expect(r.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(r.Properties.LifecycleConfiguration.Rules[0]).toMatchObject({
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      });
      const sse =
        r.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault;
      const accessLogs =
        id.endsWith('AccessLogs') || logDestinations.has(id) || /AccessLogs[A-F0-9]{8}$/.test(id);
      expect(sse.SSEAlgorithm).toBe(stage === 'production' && !accessLogs ? 'aws:kms' : 'AES256');
    }
  });

  test('every queue has a dead-letter queue or is one, and every dead-letter queue is alarmed', () => {
    const queues = ofType('AWS::SQS::Queue');
    const deadLetterQueues = queues.filter(([, r]) => r.Properties.RedriveAllowPolicy);
    expect(deadLetterQueues.length).toBeGreaterThan(0);
    expect(queues.filter(([, r]) => !r.Properties.RedrivePolicy && !r.Properties.RedriveAllowPolicy)).toEqual(
      [],
    );
    const alarms = JSON.stringify(ofType('AWS::CloudWatch::Alarm'));
    for (const [id] of deadLetterQueues)
      expect(alarms).toContain(`"Fn::GetAtt":["${id.split('/')[1]}","QueueName"]`);
  });

  test('file systems: an AWS Backup plan, daily, 35 days, in a vault under a key of ours, in production only', () => {
    const fileSystems = ofType('AWS::EFS::FileSystem');
    const selections = ofType('AWS::Backup::BackupSelection');
    if (stage === 'sandbox') {
      expect(all().filter(([, r]) => r.Type.startsWith('AWS::Backup::'))).toEqual([]);
      return;
    }
    expect(selections.map(([id]) => stackOf(id)).sort()).toEqual(
      fileSystems.map(([id]) => stackOf(id)).sort(),
    );
    for (const [, r] of ofType('AWS::Backup::BackupPlan')) {
      expect(r.Properties.BackupPlan.BackupPlanRule).toEqual([
        expect.objectContaining({
          ScheduleExpression: 'cron(0 5 * * ? *)',
          Lifecycle: { DeleteAfterDays: 35 },
        }),
      ]);
    }
    for (const [, r] of ofType('AWS::Backup::BackupVault')) {
      expect(r.Properties.EncryptionKeyArn['Fn::GetAtt'][1]).toBe('Arn');
    }
  });

  test("secrets: a key of ours in production, Secrets Manager's own in the sandbox", () => {
    const secrets = ofType('AWS::SecretsManager::Secret');
    expect(secrets.length).toBeGreaterThan(0);
    for (const [, r] of secrets) {
      if (stage === 'production') expect(r.Properties.KmsKeyId['Fn::GetAtt'][1]).toBe('Arn');
      else expect(r.Properties.KmsKeyId).toBeUndefined();
    }
  });

  test('every ECS cluster has Container Insights on', () => {
    const clusters = ofType('AWS::ECS::Cluster');
    expect(clusters.length).toBeGreaterThan(0);
    for (const [, r] of clusters) {
      expect(r.Properties.ClusterSettings).toEqual([
        { Name: 'containerInsights', Value: expect.stringMatching(/^(enabled|enhanced)$/) },
      ]);
    }
  });
});

describe('bad configuration stops `cdk synth` with one clear message and exit code 1', () => {
  const run = promisify(execFile);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-config-'));
  const bundle = path.join(dir, 'containers-on-aws.js');
  const outdir = path.join(dir, 'cdk.out');
  // the bundle the cdk.json build hook makes, by the same function (bin/bundle.mjs), in a scratch
  // folder; a child node imports it, since jest runs CommonJS (awaited by each test: concurrent tests
  // do not wait for beforeAll)
  const bundleModule = url.pathToFileURL(path.join(__dirname, '..', 'bin', 'bundle.mjs')).href;
  const entryPoint = path.join(__dirname, '..', 'bin', 'containers-on-aws.ts');
  const bundled = run(process.execPath, [
    '--input-type=module',
    '--eval',
    `import { bundleForNode } from ${JSON.stringify(bundleModule)};
     await bundleForNode(${JSON.stringify(entryPoint)}, ${JSON.stringify(bundle)});`,
  ]);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the app as the CLI does: context in CDK_CONTEXT_JSON, and returns its exit code and stderr. */
  async function synth(context: Record<string, unknown>): Promise<{ code: number; stderr: string }> {
    await bundled;
    try {
      await run(process.execPath, [bundle], {
        cwd: path.join(__dirname, '..'),
        env: {
          ...process.env,
          NODE_PATH: path.join(__dirname, '..', 'node_modules'),
          CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...context }),
          CDK_OUTDIR: outdir,
        },
      });
      return { code: 0, stderr: '' };
    } catch (error) {
      const { code, stderr } = error as { code: number; stderr: string };
      return { code, stderr };
    }
  }

  // One bad value per configuration section, and an unknown key: what each key says is the config
  // tests' job; these prove what the process does with any of them.
  test.concurrent.each([
    ['stage', 'prod'],
    ['platforms', 'ecs,lambda'],
    ['natProvider', 'free'],
    ['keepTaggedImages', '-3'],
    ['ecsTaskCpu', '300'],
    ['ecsPatternsPruneSchedule', 'every day'],
    ['eksNodeTypes', 'gpu'],
    ['appRunnerCpu', '300'],
    ['expressScalingMetric', 'QUEUE_DEPTH'],
    ['stgae', 'production'],
  ])(
    '%s=%s',
    async (key, value) => {
      const { code, stderr } = await synth({ [key]: value });
      expect(code).toBe(1);
      const problems = stderr.split('\n').filter((line) => line.startsWith('  - '));
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^  - ${key}: `))]);
      expect(stderr).toMatch(/^Invalid configuration \(1 problem\):/);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(fs.existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
    },
    // the first test waits for the bundle: a guard against a hang, generous for a loaded machine
    60_000,
  );
});

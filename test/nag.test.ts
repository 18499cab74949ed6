import * as fs from 'node:fs';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { STAGE_CONTEXT, STAGES, synthesize } from './support/synth';

/** cdk-nag's AWS Solutions findings that nothing acknowledged, as `path: rule` lines. */
function unacknowledgedFindings(stage: (typeof STAGES)[number]): string[] {
  const { app } = synthesize(STAGE_CONTEXT[stage], { judge: true });
  try {
    app.synth();
    return [];
  } catch (error) {
    const reportFile = path.join(app.outdir, 'validation-report.json');
    if (!fs.existsSync(reportFile)) throw error;
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    return report.pluginReports.flatMap((plugin: { violations: Violation[] }) =>
      plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${c.constructPath}: ${v.ruleName}`)),
    );
  }
}

interface Violation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}

/** Every cdk-nag acknowledgment in the construct tree (CDK acknowledges some of its own): where, which rule, why. */
function acknowledgments(stage: (typeof STAGES)[number]): { path: string; id: string; reason: string }[] {
  const { app } = synthesize(STAGE_CONTEXT[stage]);
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      )
      .filter((ack) => ack.id.includes('AwsSolutions-')),
  );
}

describe.each(STAGES)('cdk-nag AWS Solutions checks, %s', (stage) => {
  test('no finding is left unacknowledged in any stack', () => {
    expect(unacknowledgedFindings(stage)).toEqual([]);
  });

  test('every acknowledgment sits on a construct inside a stack, with a specific reason', () => {
    const all = acknowledgments(stage);
    expect(all.length).toBeGreaterThan(0);
    const stackWideOrVague = all.filter((ack) => ack.path.split('/').length < 2 || ack.reason.length < 30);
    expect(stackWideOrVague).toEqual([]);
  });
});

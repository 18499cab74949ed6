import * as fs from 'node:fs';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { nagAcknowledgments } from './support/acknowledgments';
import { STAGE_CONTEXT, STAGES, synthesize } from './support/synth';

/** cdk-nag's AWS Solutions findings that nothing acknowledged, as `path: rule` lines. */
function unacknowledgedFindings(app: App): string[] {
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

describe.each(STAGES)('cdk-nag AWS Solutions checks, %s', (stage) => {
  // one app per stage, judged as `cdk synth` judges it
  const { app } = synthesize(STAGE_CONTEXT[stage], { judge: true });

  test('no finding is left unacknowledged in any stack', () => {
    expect(unacknowledgedFindings(app)).toEqual([]);
  });

  test('every acknowledgment sits on a construct inside a stack, with a specific reason', () => {
    const all = nagAcknowledgments(app);
    expect(all.length).toBeGreaterThan(0);
    const stackWideOrVague = all.filter((ack) => ack.path.split('/').length < 2 || ack.reason.length < 30);
    expect(stackWideOrVague).toEqual([]);
  });
});

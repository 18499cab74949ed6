/**
 * Step 6: the report. Every check with its result, time and evidence, as Markdown and JSON under
 * verify-report/, and a summary table on stdout; the deploy and destroy time of each stack.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { formatMs, type Check } from './runner';

export interface RunReport {
  readonly command: string;
  readonly startedAt: string;
  readonly account?: string;
  readonly region?: string;
  readonly checks: readonly Check[];
  /** 0 only when every check passed (skips aside) and nothing was left behind. */
  readonly exitCode: number;
}

const MARK = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

/** One line as a check finishes, with its reason and evidence when it did not pass. */
export function formatCheck(check: Check): string {
  const head = `${MARK[check.result]}  ${check.target} · ${check.step} · ${check.name} (${formatMs(check.ms)})`;
  if (check.result === 'pass') return head;
  return [head, `      ${check.reason}`, ...check.evidence.map((line) => `      ${line}`)].join('\n');
}

/** The summary printed at the end: every check, then each stack's deploy and destroy time. */
export function summary(report: RunReport): string {
  const checks = report.checks;
  const counts = (['pass', 'fail', 'skip'] as const).map((r) => checks.filter((c) => c.result === r).length);
  const times = stackTimes(checks);
  return [
    table([
      ['Target', 'Step', 'Check', 'Result', 'Time'],
      ...checks.map((c) => [c.target, c.step, c.name, MARK[c.result], formatMs(c.ms)]),
    ]),
    ...(times.length > 0
      ? [
          '',
          table([
            ['Stack', 'Deploy', 'Destroy'],
            ...times.map((t) => [t.stack, t.deploy ?? '-', t.destroy ?? '-']),
          ]),
        ]
      : []),
    '',
    `verify: ${counts[0]} passed, ${counts[1]} failed, ${counts[2]} skipped`,
  ].join('\n');
}

function stackTimes(checks: readonly Check[]): { stack: string; deploy?: string; destroy?: string }[] {
  const byStack = new Map<string, { stack: string; deploy?: string; destroy?: string }>();
  for (const check of checks) {
    const match = /^(deploy|destroy) (\S+)$/.exec(check.name);
    if (!match || check.step !== match[1]) continue;
    const [, step, stack] = match;
    const row = byStack.get(stack) ?? { stack };
    row[step as 'deploy' | 'destroy'] =
      `${formatMs(check.ms)}${check.result === 'pass' ? '' : ` (${check.result})`}`;
    byStack.set(stack, row);
  }
  return [...byStack.values()];
}

function table(rows: readonly string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function markdown(report: RunReport): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '# npm run verify',
    '',
    `\`${report.command}\`, started ${report.startedAt}` +
      (report.account ? `, account ${report.account}, region ${report.region}` : '') +
      `: exit code ${report.exitCode}.`,
    '',
    '| Target | Step | Check | Result | Time | Evidence |',
    '| --- | --- | --- | --- | --- | --- |',
    ...report.checks.map((c) => {
      const evidence = [c.reason, ...c.evidence].filter(Boolean).join('<br>');
      return `| ${[c.target, c.step, c.name, MARK[c.result], formatMs(c.ms), evidence].map(cell).join(' | ')} |`;
    }),
    '',
  ].join('\n');
}

/** Writes report.md and report.json into `dir`; resolves with their paths. */
export async function writeReport(dir: string, report: RunReport): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = [path.join(dir, 'report.md'), path.join(dir, 'report.json')];
  await writeFile(files[0], markdown(report));
  await writeFile(files[1], `${JSON.stringify(report, null, 2)}\n`);
  return files;
}

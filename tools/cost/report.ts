/** The estimate as plain-text tables: one per stack, the stacks side by side, and each stack with what it needs. */
import { HOURS_PER_MONTH, sumHourly, type LineItem, type PriceTable, type StackEstimate } from './estimate';

/** Stack name -> the stacks it depends on directly (cdk.out/manifest.json's `dependencies`). */
export type Dependencies = Readonly<Record<string, readonly string[]>>;

export function formatReport(
  estimates: readonly StackEstimate[],
  dependencies: Dependencies,
  prices: PriceTable,
  priceFile: string,
): string {
  const { ec2SpotDiscount, fargateSpotDiscount, efsStoredGb } = prices.assumptions;
  return [
    `Cost at rest in ${prices.region}: list prices of ${prices.date} (${priceFile}), ${prices.currency}, 1 month = ${HOURS_PER_MONTH} h.`,
    `Every service at its auto scaling minimum; Spot ${percent(ec2SpotDiscount.value)} (EC2) and ` +
      `${percent(fargateSpotDiscount.value)} (Fargate) below On-Demand; ${efsStoredGb.value} GB in each EFS file system.`,
    '',
    ...estimates.flatMap((estimate) => [...stackTable(estimate), '']),
    'All stacks',
    ...table(
      [
        ['Stack', '$/hour', '$/month'],
        ...estimates.map((e) => [e.stack, ...money(e.hourly)]),
        ['Total', ...money(sumHourly(estimates))],
      ],
      [false, true, true],
    ),
    '',
    'One stack at a time: `cdk deploy <stack>` deploys the stacks it needs first',
    ...table(
      [
        ['Stack', 'Needs', '$/hour', '$/month'],
        ...estimates.map((e) => {
          const needs = withDependencies(e.stack, dependencies);
          const needed = estimates.filter((other) => needs.includes(other.stack));
          return [e.stack, needed.map((n) => n.stack).join(', ') || '-', ...money(sumHourly([e, ...needed]))];
        }),
      ],
      [false, false, true, true],
    ),
    '',
    'Not included (usage, not size): data transfer; GB processed by NAT and endpoints; load balancer capacity',
    'units; requests to S3, SQS, SNS, EventBridge, Lambda, KMS, Secrets Manager and WAF; CloudWatch logs,',
    "metrics (the app's own included) and Container Insights; ECR storage; backups restored; tasks and pods",
    'that run on demand or on EKS Fargate.',
    'Dashboards and alarms are priced as if beyond the free tier (3 dashboards, 10 alarm metrics per account).',
    '',
  ].join('\n');
}

/** A stack's line items, with each note once as a numbered footnote under the table. */
function stackTable({ stack, items, hourly }: StackEstimate): string[] {
  if (items.length === 0) return [stack, '  nothing billed by the hour or the month'];
  const notes = [...new Set(items.flatMap((i) => (i.note ? [i.note] : [])))];
  const marker = (item: LineItem) => (item.note ? ` [${notes.indexOf(item.note) + 1}]` : '');
  return [
    stack,
    ...table(
      [
        ['Resource', 'Item', '$/hour', '$/month'],
        ...items.map((i) => [displayId(i.resource), i.item + marker(i), ...money(i.hourly)]),
        ['Total', '', ...money(hourly)],
      ],
      [false, false, true, true],
    ),
    ...notes.map((note, n) => `  [${n + 1}] ${note}`),
  ];
}

/** Every stack `stack` needs, directly or through another. */
export function withDependencies(stack: string, dependencies: Dependencies): string[] {
  const needed = new Set<string>();
  const visit = (name: string) => {
    for (const dependency of dependencies[name] ?? []) {
      if (!needed.has(dependency)) {
        needed.add(dependency);
        visit(dependency);
      }
    }
  };
  visit(stack);
  return [...needed];
}

/** CDK's logical IDs end in an 8-digit hash that says nothing to a reader. */
function displayId(id: string): string {
  return id.replace(/(?<=.)[0-9A-F]{8}$/, '');
}

/** [$/hour, $/month]; "-" for what bills only while used. */
function money(hourly: number | undefined): [string, string] {
  return hourly === undefined ? ['-', '-'] : [hourly.toFixed(4), (hourly * HOURS_PER_MONTH).toFixed(2)];
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

function table(rows: readonly string[][], rightAligned: readonly boolean[]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const pad = (cell: string, column: number) =>
    rightAligned[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]);
  return rows.map((row) => `  ${row.map(pad).join('  ')}`.trimEnd());
}

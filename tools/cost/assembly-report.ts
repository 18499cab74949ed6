/** The cost report of a cloud assembly directory: every stack in it, in the manifest's order, priced. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { estimateStack, loadPriceTable, type Template } from './estimate';
import { formatReport, type Dependencies } from './report';

/** The price table, relative to the repository root (the report names it). */
export const PRICE_FILE = 'tools/cost/prices-us-east-1.json';

interface Manifest {
  readonly artifacts: Readonly<
    Record<
      string,
      {
        readonly type: string;
        readonly properties?: { readonly templateFile?: string };
        readonly dependencies?: readonly string[];
      }
    >
  >;
}

function readStacks(outdir: string): {
  stacks: { name: string; template: Template }[];
  dependencies: Dependencies;
} {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as Manifest;
  const stackArtifacts = Object.entries(manifest.artifacts).filter(
    ([, artifact]) => artifact.type === 'aws:cloudformation:stack',
  );
  const names = new Set(stackArtifacts.map(([name]) => name));
  return {
    stacks: stackArtifacts.map(([name, artifact]) => ({
      name,
      template: JSON.parse(
        fs.readFileSync(
          path.join(outdir, artifact.properties?.templateFile ?? `${name}.template.json`),
          'utf8',
        ),
      ) as Template,
    })),
    // asset manifests are dependencies too: keep the stacks
    dependencies: Object.fromEntries(
      stackArtifacts.map(([name, artifact]) => [
        name,
        (artifact.dependencies ?? []).filter((d) => names.has(d)),
      ]),
    ),
  };
}

/** `root`: the repository, where the price table is; `outdir`: a synthesized cloud assembly. */
export function assemblyReport(root: string, outdir: string): string {
  const prices = loadPriceTable(path.join(root, PRICE_FILE));
  const { stacks, dependencies } = readStacks(outdir);
  const estimates = stacks.map(({ name, template }) => estimateStack(name, template, prices));
  return formatReport(estimates, dependencies, prices, PRICE_FILE);
}

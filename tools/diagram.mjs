// `npm run diagram`: draws docs/architecture-<stack>.png, one picture per stack, from the synthesized
// app, so regenerating them is all it takes to keep them true. cdk-dia turns the construct tree
// (tree.json) into Graphviz with its bundled AWS icons; Graphviz's `dot` (Debian: graphviz) draws it,
// offline. The whole app in one picture is 20,000 px wide and unreadable, and cdk-dia draws no edges
// between stacks anyway: docs/architecture.md shows those in a Mermaid overview.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AwsDiagramGenerator, AwsEdgeResolver, AwsIconSupplier, Graphviz, TreeJsonLoader } from 'cdk-dia';
import { GraphvizGenerator } from 'cdk-dia/dist/src/render/graphviz/GraphvizGenerator.js';

const root = path.resolve(import.meta.dirname, '..');
const docs = path.join(root, 'docs');
const cdkDia = path.join(root, 'node_modules', 'cdk-dia');

try {
  execFileSync('dot', ['-V'], { stdio: 'ignore' });
} catch {
  console.error("diagram: Graphviz's `dot` is not on PATH; install it first: apt-get install -y graphviz");
  process.exit(1);
}

// A fresh synth of the default app (cdk.json's context) in a directory of its own, so a cdk.out left by
// `cdk synth -c platforms=...` or `-c stage=production` cannot change the picture. Telemetry off: it
// is the CLI's only network call.
const assembly = fs.mkdtempSync(path.join(os.tmpdir(), 'diagram-'));
execFileSync(path.join(root, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', assembly], {
  cwd: root,
  env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const manifest = JSON.parse(fs.readFileSync(path.join(assembly, 'manifest.json'), 'utf8'));
const stacks = Object.entries(manifest.artifacts)
  .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
  .map(([name]) => name);

/**
 * Label lines of at most `width` characters, long names broken between the words of their CamelCase.
 * cdk-dia 0.12.3 hands word-wrap a fractional width, gets nothing back and falls back to cutting
 * every name at 21 characters ("CopySampleAppImageRol"); this replaces its line breaker.
 */
GraphvizGenerator.prototype.breakLineEveryMaxChars = (label, charsPerLine) => {
  const width = Math.floor(charsPerLine);
  const lines = [];
  for (const word of label.join(' ').split(/\s+/).filter(Boolean)) {
    const parts =
      word.length <= width
        ? [word]
        : word
            .split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[-_:])(?=[^-_:])/)
            .flatMap((part) => part.match(new RegExp(`.{1,${width}}`, 'g')));
    parts.forEach((part, i) => {
      const line = `${lines.at(-1)}${i > 0 ? '' : ' '}${part}`;
      if (lines.length > 0 && line.length <= width) lines[lines.length - 1] = line;
      else lines.push(part);
    });
  }
  return lines;
};

const tree = TreeJsonLoader.load(path.join(assembly, 'tree.json'));
const generator = new AwsDiagramGenerator(new AwsEdgeResolver(), new AwsIconSupplier(cdkDia));

/**
 * cdk-dia folds every L2 construct into one icon: the readable choice for platform stacks, but it folds
 * the network stack into a single VPC icon, hiding the subnets, NAT and endpoint it exists to show.
 */
const expanded = (stack) => stack.endsWith('-network');

// cdk-dia renders at 200 dpi: 1 to 5 MB a stack. Half of that keeps every label legible.
const renderedAt = (dpi, dot) => dot.replace(/^(\s*)dpi = \d+;$/m, `$1dpi = ${dpi};`);

for (const stale of fs.readdirSync(docs).filter((file) => /^architecture-.*\.png$/.test(file))) {
  fs.rmSync(path.join(docs, stale));
}
for (const stack of stacks) {
  const picture = path.join(docs, `architecture-${stack}.png`);
  const dotFile = path.join(assembly, `${stack}.dot`);
  new Graphviz().renderToDot(generator.generate(tree, !expanded(stack), true, [stack]), dotFile);
  // dot's warnings are about cdk-dia's styling (an unknown node shape, fixed-size labels, clusters
  // named by construct id rather than path), not the app: shown only if dot fails
  execFileSync('dot', ['-Tpng', '-o', picture], {
    input: renderedAt(100, fs.readFileSync(dotFile, 'utf8')),
    stdio: ['pipe', 'inherit', 'pipe'],
  });
  console.log(`${path.relative(root, picture)}  ${Math.round(fs.statSync(picture).size / 1024)} KiB`);
}
fs.rmSync(assembly, { recursive: true, force: true });

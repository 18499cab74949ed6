import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { ALL_PLATFORMS, synthesize } from './support/synth';

/**
 * docs/architecture.md's Mermaid overview is hand-written, so it is checked against the app it
 * draws: the app with every platform (App Runner, opt-in, included), built once. Its conventions:
 * - a top-level `subgraph` is a stack, its id the stack name, or one of GROUPS, which hold stack
 *   subgraphs only (an arrow to a group is an arrow to each stack in it);
 * - every other box and nested subgraph is a construct, its id the construct's path (in EKS, the
 *   path of a cdk8s object in a chart the stack applies), first drawn inside its stack's box;
 * - boxes outside every stack are the actors in ACTORS, nothing else.
 */
const GROUPS = ['platforms'];
const ACTORS = ['browser'];

const docs = path.join(__dirname, '..', 'docs');
const guide = fs.readFileSync(path.join(docs, 'architecture.md'), 'utf8');
const { app, stacks } = synthesize({ platforms: ALL_PLATFORMS });
// references between stacks become stack dependencies only when the app is prepared for synthesis
app.synth();
const appStacks = app.node.children.filter((child): child is Stack => Stack.isStack(child));

interface Overview {
  readonly stackBoxes: string[];
  /** Group id -> the stack boxes in it. */
  readonly groups: Map<string, string[]>;
  /** Construct box id -> the stack box it is first drawn in; '' for boxes outside every stack. */
  readonly boxes: Map<string, string>;
  readonly arrows: [string, string][];
}

/** Reads the flowchart subset the guide uses: subgraphs, quoted labels, `-->`/`-.->` chains with `&`. */
function parseOverview(markdown: string): Overview {
  const blocks = [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)];
  expect(blocks).toHaveLength(1);
  const overview: Overview = { stackBoxes: [], groups: new Map(), boxes: new Map(), arrows: [] };
  const open: string[] = [];
  const group = () => (GROUPS.includes(open[0]) ? open[0] : undefined);
  const currentStack = () => (group() ? open[1] : open[0]) ?? '';
  const see = (id: string) => {
    const known = overview.boxes.has(id) || overview.groups.has(id) || overview.stackBoxes.includes(id);
    if (!known) overview.boxes.set(id, currentStack());
  };
  for (const line of blocks[0][1].split('\n').map((l) => l.trim())) {
    const subgraph = line.match(/^subgraph\s+(\S+)/);
    if (subgraph) {
      const id = subgraph[1];
      if (open.length === 0 && GROUPS.includes(id)) overview.groups.set(id, []);
      else if (currentStack() === '') {
        overview.stackBoxes.push(id);
        if (group()) overview.groups.get(group()!)!.push(id);
      } else see(id);
      open.push(id);
    } else if (line === 'end') {
      open.pop();
    } else if (line && !line.startsWith('flowchart')) {
      const chain = line
        .replace(/"[^"]*"/g, '""')
        .replace(/\|""\|/g, '')
        .replace(/[[({]+""[\])}]+/g, '')
        .split(/\s*(?:-->|-\.->)\s*/)
        .map((ids) => ids.split(/\s*&\s*/));
      chain.flat().forEach(see);
      for (let i = 1; i < chain.length; i++) {
        for (const from of chain[i - 1]) for (const to of chain[i]) overview.arrows.push([from, to]);
      }
    }
  }
  return overview;
}

const overview = parseOverview(guide);

/** Every construct a box may name, by path, with the stack it belongs to. */
function constructStacks(): Map<string, string> {
  const stackOf = new Map<string, string>();
  for (const stack of appStacks) {
    for (const construct of stack.node.findAll()) stackOf.set(construct.node.path, stack.stackName);
  }
  for (const chart of [stacks.eks!.clusterChart, stacks.eks!.sampleAppChart]) {
    for (const object of chart.node.findAll()) stackOf.set(object.node.path, stacks.eks!.stackName);
  }
  return stackOf;
}

test('the overview shows every stack of the app, and only stacks, as a box of its own', () => {
  expect([...overview.stackBoxes].sort()).toEqual(appStacks.map((stack) => stack.stackName).sort());
});

test('every box inside a stack names a construct of that stack by its path', () => {
  const stackOf = constructStacks();
  const wrong = [...overview.boxes]
    .filter(([id, stack]) => stack !== '' && stackOf.get(id) !== stack)
    .map(([id, stack]) => `${id} in ${stack}: ${stackOf.get(id) ?? 'no such construct'}`);
  expect(wrong).toEqual([]);
});

test('the only boxes outside the stacks are the actors', () => {
  const outside = [...overview.boxes].filter(([, stack]) => stack === '').map(([id]) => id);
  expect(outside.sort()).toEqual([...ACTORS].sort());
});

test('the arrows between stacks join exactly the stacks that depend on each other', () => {
  const stacksOf = (id: string): string[] =>
    overview.groups.get(id) ?? (overview.stackBoxes.includes(id) ? [id] : [overview.boxes.get(id)!]);
  const pair = (a: string, b: string) => [a, b].sort().join(' <-> ');
  const drawn = overview.arrows.flatMap(([from, to]) =>
    stacksOf(from).flatMap((a) => stacksOf(to).map((b) => (a && b && a !== b ? pair(a, b) : ''))),
  );
  const dependencies = appStacks.flatMap((stack) =>
    stack.dependencies.map((dependency) => pair(stack.stackName, dependency.stackName)),
  );
  expect([...new Set(drawn)].filter(Boolean).sort()).toEqual([...new Set(dependencies)].sort());
});

test('every stack has its cdk-dia picture in docs/, linked from the guide', () => {
  for (const { stackName } of appStacks) {
    const picture = `architecture-${stackName}.png`;
    expect(fs.existsSync(path.join(docs, picture))).toBe(true);
    expect(guide).toContain(`](${picture})`);
  }
});

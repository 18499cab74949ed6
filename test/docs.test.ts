import * as fs from 'node:fs';
import * as path from 'node:path';

/** The reader's guide must not drift from the code it describes. */
const root = path.join(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const guides = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = Object.fromEntries(guides.map((file) => [file, read(file)]));

test.each(guides)('%s: every file of this repository it names exists', (guide) => {
  const named = [
    ...text[guide].matchAll(
      /(?:`|\()((?:lib|bin|app|test|bench|docs|tools|\.ci)\/[\w./-]+?\.\w+)(?=[`)#:])/g,
    ),
  ].map((match) => match[1]);
  const missing = [...new Set(named)].filter((file) => !fs.existsSync(path.join(root, file)));
  expect(missing).toEqual([]);
});

test('every configuration key lib/config/ reads is documented', () => {
  const sources = fs.readdirSync(path.join(root, 'lib', 'config')).map((f) => read(`lib/config/${f}`));
  const keys = [...sources.join('\n').matchAll(/r\.(?:read|optional)(?:<[^>]*>)?\(\s*'(\w+)'/g)].map(
    (m) => m[1],
  );
  expect(keys.length).toBeGreaterThan(30);
  const all = Object.values(text).join('\n');
  expect(keys.filter((key) => !all.includes(`\`${key}\``))).toEqual([]);
});

test('the README maps every platform stack to its guide', () => {
  for (const platform of ['ecs', 'ecs-patterns', 'eks', 'apprunner', 'express']) {
    expect(text['README.md']).toContain(`docs/${platform}.md`);
  }
});

test('nothing points outside the repository: the concept map is the reference, not a path a reader lacks', () => {
  const sources = ['lib', 'bin', 'tools', 'app/src'].flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ts|mjs)$/.test(f))
      .map((f) => `${dir}/${f}`),
  );
  const outside = [...guides, ...sources].filter((file) => /\.\.\/shared\b|\bseeds\b/.test(read(file)));
  expect(outside).toEqual([]);
});

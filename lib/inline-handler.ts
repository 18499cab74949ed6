import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { transformSync } from 'esbuild';
import { PROJECT_ROOT } from './paths';

const transpiled = new Map<string, string>();

/**
 * A one-file TypeScript handler as the CommonJS module Lambda loads from `index.js`, for
 * `lambda.Code.fromInline`: transpiled at synth, once per process, so there is no asset to stage
 * (CloudFormation takes up to 4 MB of ZipFile since 2022; aws/aws-cdk#30761). The file may import
 * only Node.js built-ins and the AWS SDK v3 the runtime ships.
 */
export function inlineHandler(source: string, runtime: lambda.Runtime): string {
  let code = transpiled.get(source);
  if (code === undefined) {
    code = transformSync(fs.readFileSync(path.join(PROJECT_ROOT, source), 'utf8'), {
      loader: 'ts',
      format: 'cjs',
      platform: 'node',
      target: runtime.name.replace(/^nodejs(\d+)\.x$/, 'node$1'),
      sourcefile: source,
      // the transpiled code keeps no comments: say where the commented source is
      banner: `// Transpiled from ${source} of containers-on-aws.`,
    }).code;
    transpiled.set(source, code);
  }
  return code;
}

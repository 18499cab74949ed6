// The SDK side of verify's Aws interface: every operation tools/verify/aws/api.ts types is a command of
// the installed AWS SDK for JavaScript v3 package sdk.ts loads for its service, under that name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OPERATIONS, type Service } from '../../tools/verify/aws/api';
import { SDK_PACKAGES } from '../../tools/verify/aws/sdk';

const types = (service: Service) =>
  path.join(path.dirname(require.resolve(`${SDK_PACKAGES[service].package}/package.json`)), 'dist-types');

test.each(Object.keys(OPERATIONS) as Service[])(
  '%s: the client class and every command verify sends exist',
  (service) => {
    const declared = (file: string) => fs.existsSync(path.join(types(service), file));
    const missing = [
      `${SDK_PACKAGES[service].client}.d.ts`,
      ...Object.keys(OPERATIONS[service]).map((operation) => `commands/${operation}Command.d.ts`),
    ].filter((file) => !declared(file));

    expect(missing).toEqual([]);
  },
);

test('the interface is as narrow as the list: api.ts types no service without its package', () => {
  expect(Object.keys(SDK_PACKAGES).sort()).toEqual(Object.keys(OPERATIONS).sort());
});

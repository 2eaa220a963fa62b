import { it } from 'vitest';
import { Readable } from 'node:stream';
import { createTestContext } from '../../helpers/deps.js';
import { importPeople } from '../../../src/people/people.service.js';
import { CLI_ACTOR } from '../../../src/audit/audit.js';
it('probe', async () => {
  const context = await createTestContext('sqlite');
  try { await importPeople(context.deps, Readable.from(['\n=HYPERLINK("http://evil.example")']), CLI_ACTOR); } catch (e) { console.log(e, (e as any).code, Object.keys(e as any)); }
});

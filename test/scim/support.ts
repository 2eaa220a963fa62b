// Small helpers of the SCIM suites that reach past SCIM into Keyslip itself.
import { findPersonById } from '../../src/people/people.store.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCode } from '../../src/access-codes/access-codes.service.js';
import type { TestContext } from '../helpers/deps.js';

/** The person's code state as the directory keeps it; with `issue`, a code is issued first. */
export async function accessCodeStateOf(
  context: TestContext,
  personId: string,
  options: { issue?: boolean } = {},
): Promise<string> {
  if (options.issue) await issueAccessCode(context.deps, { personId, actor: CLI_ACTOR });
  return (await findPersonById(context.deps.db, personId))!.code_state;
}

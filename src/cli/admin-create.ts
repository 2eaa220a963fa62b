import { parseArgs } from 'node:util';
import { CLI_ACTOR } from '../audit/audit.js';
import { createAdmin } from '../accounts/first-admin.js';
import { required } from './usage.js';
import { withRuntime } from './with-runtime.js';

/** Creates an unclaimed admin and prints the access code that claims it: Keyslip's own mechanism. */
export async function adminCreate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { name: { type: 'string' }, username: { type: 'string' }, json: { type: 'boolean' } },
  });
  const name = required(values.name, '--name');
  const username = required(values.username, '--username');
  return withRuntime(async ({ deps }) => {
    const issued = await createAdmin(deps, { name, username }, CLI_ACTOR, { breakGlass: true });
    const url = deps.config.accessCodeUrl;
    const expiresAt = new Date(issued.expiresAt).toISOString();
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({
          id: issued.person.id,
          username: issued.person.username,
          code: issued.code,
          expiresAt,
          url,
        })}\n`,
      );
    } else {
      process.stdout.write(
        `Admin "${name}" created (username ${issued.person.username}).\n` +
          `Access code: ${issued.code}\n` +
          `Valid until: ${expiresAt}\n` +
          `Claim the account at ${url}\n` +
          'The code is shown only this once.\n',
      );
    }
    return 0;
  });
}

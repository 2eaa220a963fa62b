import { parseArgs } from 'node:util';
import { CLI_ACTOR } from '../audit/audit.js';
import { AppError } from '../errors.js';
import { revokeApiToken } from '../sessions/api-tokens.js';
import { UsageError } from './usage.js';
import { withRuntime } from './with-runtime.js';

/** `keyslip token revoke ID`: the token stops working at once, on every instance. */
export async function tokenRevoke(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  const id = positionals[0];
  if (id === undefined || positionals.length > 1) {
    throw new UsageError('token revoke takes one token id (see: keyslip token list).');
  }
  return withRuntime(async ({ deps }) => {
    const result = await revokeApiToken(deps.db, { id, actor: CLI_ACTOR, now: deps.clock.now() });
    if (!result) throw new AppError('not_found', { message: `No API token with id ${id}.` });
    const name = JSON.stringify(result.apiToken.name);
    const which = `API token ${name} (${id})`;
    process.stdout.write(result.revoked ? `Revoked ${which}.\n` : `${which} was already revoked.\n`);
    return 0;
  });
}

import { parseArgs } from 'node:util';
import { CLI_ACTOR } from '../audit/audit.js';
import { API_TOKEN_DAYS, createApiToken } from '../sessions/api-tokens.js';
import { required, UsageError } from './usage.js';
import { withRuntime } from './with-runtime.js';

/** `keyslip token create --name N [--expires-days D] [--json]`: the token is printed once. */
export async function tokenCreate(args: string[]): Promise<number> {
  const options = { name: { type: 'string' }, 'expires-days': { type: 'string' }, json: { type: 'boolean' } } as const;
  const { values } = parseArgs({ args, options });
  const name = required(values.name, '--name').trim().slice(0, 100);
  const expiresInDays = expiresDaysOf(values['expires-days']);
  return withRuntime(async ({ deps }) => {
    const made = await createApiToken(deps.db, { name, actor: CLI_ACTOR, now: deps.clock.now(), expiresInDays });
    const { token, apiToken } = made;
    if (values.json) {
      const { id, expiresAt } = apiToken;
      process.stdout.write(`${JSON.stringify({ token, id, name: apiToken.name, expiresAt })}\n`);
    } else {
      process.stdout.write(
        `${token}\nThis admin API token is shown only once. Use it as: Authorization: Bearer <token>\n` +
          `It expires at ${apiToken.expiresAt}. Revoke it with: keyslip token revoke ${apiToken.id}\n`,
      );
    }
    return 0;
  });
}

function expiresDaysOf(value: string | undefined): number {
  if (value === undefined) return API_TOKEN_DAYS.default;
  const days = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(days >= API_TOKEN_DAYS.min && days <= API_TOKEN_DAYS.max)) {
    throw new UsageError(`--expires-days must be a whole number from ${API_TOKEN_DAYS.min} to ${API_TOKEN_DAYS.max}.`);
  }
  return days;
}

import { parseArgs } from 'node:util';
import { CLI_ACTOR } from '../audit/audit.js';
import { API_TOKEN_DAYS, createApiToken } from '../sessions/api-tokens.js';
import { required, UsageError } from './usage.js';
import { withRuntime } from './with-runtime.js';

/** A SCIM token lives a year unless asked: an expired one silently stops the HR system's provisioning. */
const SCIM_TOKEN_DAYS_DEFAULT = 365;

/** `keyslip token create --name N [--scim] [--expires-days D] [--json]`: the token is printed once. */
export async function tokenCreate(args: string[]): Promise<number> {
  const options = {
    name: { type: 'string' },
    scim: { type: 'boolean' },
    'expires-days': { type: 'string' },
    json: { type: 'boolean' },
  } as const;
  const { values } = parseArgs({ args, options });
  const name = required(values.name, '--name').trim().slice(0, 100);
  const kind = values.scim ? 'scim' : 'admin';
  const expiresInDays = expiresDaysOf(values['expires-days'], kind === 'scim' ? SCIM_TOKEN_DAYS_DEFAULT : undefined);
  return withRuntime(async ({ deps }) => {
    const now = deps.clock.now();
    const made = await createApiToken(deps.db, { name, actor: CLI_ACTOR, now, expiresInDays, kind });
    const { token, apiToken } = made;
    if (values.json) {
      const { id, expiresAt } = apiToken;
      process.stdout.write(`${JSON.stringify({ token, id, name: apiToken.name, kind, expiresAt })}\n`);
    } else {
      const what = kind === 'scim' ? 'This SCIM token (it works only under /scim/v2)' : 'This admin API token';
      process.stdout.write(
        `${token}\n${what} is shown only once. Use it as: Authorization: Bearer <token>\n` +
          `It expires at ${apiToken.expiresAt}. Revoke it with: keyslip token revoke ${apiToken.id}\n`,
      );
    }
    return 0;
  });
}

function expiresDaysOf(value: string | undefined, fallback: number = API_TOKEN_DAYS.default): number {
  if (value === undefined) return fallback;
  const days = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(days >= API_TOKEN_DAYS.min && days <= API_TOKEN_DAYS.max)) {
    throw new UsageError(`--expires-days must be a whole number from ${API_TOKEN_DAYS.min} to ${API_TOKEN_DAYS.max}.`);
  }
  return days;
}

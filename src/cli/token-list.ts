import { parseArgs } from 'node:util';
import { listApiTokens, type ApiToken } from '../sessions/api-tokens.js';
import { withRuntime } from './with-runtime.js';

/** `keyslip token list [--json]`: every token with its owner and dates, never the token itself. */
export async function tokenList(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  return withRuntime(async ({ deps }) => {
    const tokens = await listApiTokens(deps.db, deps.clock.now());
    if (values.json) process.stdout.write(`${JSON.stringify({ items: tokens })}\n`);
    else process.stdout.write(tokens.length === 0 ? 'No API tokens.\n' : tokens.map((token) => `${line(token)}\n`).join(''));
    return 0;
  });
}

function line(token: ApiToken): string {
  const state = token.revokedAt ? `revoked ${token.revokedAt}` : token.active ? `expires ${token.expiresAt}` : `expired ${token.expiresAt}`;
  const used = token.lastUsedAt ? `last used ${token.lastUsedAt}` : 'never used';
  return [token.id, JSON.stringify(token.name), `owner ${token.owner.label}`, state, used].join('  ');
}

import { parseArgs } from 'node:util';
import { listApiTokens, type ApiToken } from '../sessions/api-tokens.js';
import { withRuntime } from './with-runtime.js';

/** `keyslip token list [--json]`: every token with its owner and dates, never the token itself. */
export async function tokenList(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  return withRuntime(async ({ deps }) => {
    const now = deps.clock.now();
    const tokens = await listApiTokens(deps.db, now);
    if (values.json) process.stdout.write(`${JSON.stringify({ items: tokens })}\n`);
    else if (tokens.length === 0) process.stdout.write('No API tokens.\n');
    else process.stdout.write(tokens.map((token) => `${line(token, now)}\n`).join(''));
    return 0;
  });
}

function line(token: ApiToken, now: number): string {
  const used = token.lastUsedAt ? `last used ${token.lastUsedAt}` : 'never used';
  const parts = [
    token.id,
    JSON.stringify(token.name),
    token.kind,
    `owner ${token.owner.label}`,
    stateOf(token, now),
    used,
  ];
  return parts.join('  ');
}

function stateOf(token: ApiToken, now: number): string {
  if (token.revokedAt) return `revoked ${token.revokedAt}`;
  if (token.expiresAt === null || Date.parse(token.expiresAt) <= now) return `expired ${token.expiresAt ?? ''}`.trim();
  if (!token.active) return 'inactive (its admin is no longer an admin)';
  return `expires ${token.expiresAt}`;
}

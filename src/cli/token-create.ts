import { parseArgs } from 'node:util';
import { CLI_ACTOR } from '../audit/audit.js';
import { createApiToken } from '../sessions/api-tokens.js';
import { required } from './usage.js';
import { withRuntime } from './with-runtime.js';

export async function tokenCreate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { name: { type: 'string' }, json: { type: 'boolean' } } });
  const name = required(values.name, '--name').trim().slice(0, 100);
  return withRuntime(async ({ deps }) => {
    const { token } = await createApiToken(deps.db, { name, actor: CLI_ACTOR, now: deps.clock.now() });
    process.stdout.write(values.json ? `${JSON.stringify({ token })}\n` : `${token}\nThis admin API token is shown only once. Use it as: Authorization: Bearer <token>\n`);
    return 0;
  });
}

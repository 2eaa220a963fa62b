// keyslip keys rotate — a new pair of OpenID Connect signing keys (RS256, ES256) signs from now on;
// the old public keys stay published for a day, so tokens they signed still verify.
import { parseArgs } from 'node:util';
import { CLI_ACTOR, recordAuditEvent } from '../audit/audit.js';
import { rotateSigningKeys } from '../oidc/oidc-keys.js';
import { withRuntime } from './with-runtime.js';

export async function keysRotate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  return withRuntime(async ({ deps }) => {
    const now = deps.clock.now();
    const { kids } = await rotateSigningKeys(deps.db, deps.keyring, now);
    await recordAuditEvent(deps.db, { action: 'oidc.keys_rotated', actor: CLI_ACTOR, details: { kids }, at: now });
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ kids })}\n`
        : `New signing keys: ${kids.join(', ')}. Running instances pick them up within ` +
            'KEYSLIP_OIDC_KEY_CHECK_SECONDS (default 30 s).\n',
    );
    return 0;
  });
}

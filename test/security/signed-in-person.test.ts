// A signed-in request carries its person without the password hash, and a log line that holds
// a password hash anyway has it redacted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { createLogger } from '../../src/runtime.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import { resolveSession } from '../../src/sessions/session.js';
import { sessionCookieOf } from '../helpers/api.js';
import { PASSWORD } from '../helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';

describe.each(DIALECTS)('the person on a signed-in request (%s)', (dialect) => {
  let context: TestContext;
  beforeEach(async () => {
    context = await createTestContext(dialect);
  });
  afterEach(async () => {
    await context.close();
  });

  it('has every field a page shows and no password hash', async () => {
    const app = await buildApp(context.deps);
    const { token } = await createApiToken(context.deps.db, {
      name: 'ops',
      actor: CLI_ACTOR,
      now: context.clock.now(),
    });
    const admin = { authorization: `Bearer ${token}` };
    const payload = { name: 'Sam Lee', employeeId: 'E1' };
    const person = (await app.inject({ method: 'POST', url: '/api/v1/people', headers: admin, payload })).json();
    const issued = await app.inject({ method: 'POST', url: `/api/v1/people/${person.id}/access-code`, headers: admin });
    const code = issued.json().code as string;
    const redeem = { code, username: 'sam.lee', password: PASSWORD };
    const redeemed = await app.inject({ method: 'POST', url: '/api/v1/access-code/redeem', payload: redeem });
    expect(redeemed.statusCode).toBe(200);
    const sessionId = sessionCookieOf(redeemed.headers['set-cookie'])!.split('=')[1]!;

    const current = await resolveSession(context.deps.db, context.deps.config, sessionId, context.clock.now());
    expect(current?.person).toMatchObject({
      id: person.id,
      name: 'Sam Lee',
      username: 'sam.lee',
      role: 'member',
      status: 'active',
    });
    expect(Object.keys(current!.person)).not.toContain('password_hash');
    // The hash is there to be left out: sign-in still works with the password.
    const signIn = await app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { username: 'sam.lee', password: PASSWORD },
    });
    expect(signIn.statusCode).toBe(201);
    await app.close();
  });
});

describe('the log', () => {
  it('redacts a password hash, on its own or inside an object', async () => {
    const context = await createTestContext('sqlite');
    try {
      const lines: string[] = [];
      const logger = createLogger(context.deps.config, { write: (line: string) => void lines.push(line) });
      logger.warn({ password_hash: '$argon2id$v=19$secret-one' }, 'top level');
      logger.warn({ person: { id: 'p1', password_hash: '$argon2id$v=19$secret-two' } }, 'nested');
      expect(lines).toHaveLength(2);
      expect(lines.join('\n')).not.toContain('secret-one');
      expect(lines.join('\n')).not.toContain('secret-two');
      expect(lines.join('\n')).toContain('[redacted]');
      expect(lines[1]).toContain('"id":"p1"');
    } finally {
      await context.close();
    }
  });
});

// Helpers shared by the security suites: people with passwords, table fingerprints, error shapes.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { createTestApi, sessionCookieOf, type TestApi } from '../helpers/api.js';
import { createTestContext, type TestContext } from '../helpers/deps.js';

/** A passphrase that passes the policy for every username used in these suites. */
export const PASSWORD = 'violet kettle marching north';
export const OTHER_PASSWORD = 'copper lantern over the bay';

/**
 * Property runs: once with a fixed seed (FC_SEED, default 4242) so a run is repeatable, and once
 * with a fresh random seed, printed at the start, so every run also explores something new. A
 * failure's report from fast-check names the seed and path that reproduce it.
 */
export const FIXED_SEED = Number(process.env.FC_SEED ?? 4242);
export const RANDOM_SEED = Math.floor(Math.random() * 2 ** 31);

export function logSeeds(suite: string): void {
  console.log(
    `${suite}: fast-check seeds ${FIXED_SEED} (fixed) and ${RANDOM_SEED} (random); rerun one with FC_SEED=<seed>`,
  );
}

export async function holds<T>(property: fc.IAsyncPropertyWithHooks<T>, numRuns: number): Promise<void> {
  await fc.assert(property, { numRuns, seed: FIXED_SEED });
  await fc.assert(property, { numRuns, seed: RANDOM_SEED });
}

export function holdsSync<T>(property: fc.IPropertyWithHooks<T>, numRuns: number): void {
  fc.assert(property, { numRuns, seed: FIXED_SEED });
  fc.assert(property, { numRuns, seed: RANDOM_SEED });
}

/** An address from each documentation range (RFC 5737, RFC 3849), for inject's remoteAddress. */
export const ADDRESS_A = '192.0.2.10';
export const ADDRESS_B = '198.51.100.20';

/**
 * People, codes and sessions, fingerprinted: equal before and after means nothing changed. The
 * failed-sign-in counter is left out: counting a refused attempt is its job.
 */
export async function fingerprint(db: Db): Promise<string> {
  const rows = await db.selectFrom('people').selectAll().orderBy('id').execute();
  const people = rows.map(({ failed_sign_ins: _count, last_failed_sign_in_at: _at, ...rest }) => rest);
  const codes = await db.selectFrom('access_codes').selectAll().orderBy('id').execute();
  const sessions = await db.selectFrom('sessions').select(['id_hash', 'person_id']).orderBy('id_hash').execute();
  return createHash('sha256').update(JSON.stringify({ people, codes, sessions })).digest('hex');
}

/** Every 4xx answer is JSON `{ error: { code, message } }`. */
export function expectErrorBody(response: LightMyRequestResponse): void {
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json() as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  expect((body.error!.message as string).length).toBeGreaterThan(0);
}

export async function createPersonViaApi(
  api: TestApi,
  input: Record<string, unknown>,
): Promise<{ id: string; username: string | null }> {
  const response = await api.app.inject({ method: 'POST', url: '/api/v1/people', headers: api.admin, payload: input });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

export async function issueCodeViaApi(
  api: TestApi,
  personId: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const response = await api.app.inject({
    method: 'POST',
    url: `/api/v1/people/${personId}/access-code`,
    headers: api.admin,
    payload: body,
  });
  expect(response.statusCode, response.body).toBe(201);
  return (response.json() as { code: string }).code;
}

/**
 * A person who has claimed their account (username + password) through a code, as in SPEC §3.
 * Returns their id, the code used and the session cookie the redemption set.
 */
export async function claimedPerson(
  api: TestApi,
  input: { name: string; username: string; password?: string; remoteAddress?: string },
): Promise<{ id: string; code: string; cookie: string }> {
  const person = await createPersonViaApi(api, { name: input.name, username: input.username });
  const code = await issueCodeViaApi(api, person.id);
  const redeemed = await api.app.inject({
    method: 'POST',
    url: '/api/v1/access-code/redeem',
    remoteAddress: input.remoteAddress ?? '203.0.113.250',
    payload: { code, username: input.username, password: input.password ?? PASSWORD },
  });
  expect(redeemed.statusCode, redeemed.body).toBe(200);
  const cookie = sessionCookieOf(redeemed.headers['set-cookie']);
  expect(cookie).not.toBeNull();
  return { id: person.id, code, cookie: cookie! };
}

/**
 * An `open(dialect, env)` for a test file: each call makes a context and an API, and both are
 * closed after the test that opened them.
 */
export function openApis(): (
  dialect: 'sqlite' | 'postgres',
  env?: Record<string, string>,
) => Promise<{ context: TestContext; api: TestApi }> {
  const opened: { context: TestContext; api: TestApi }[] = [];
  afterEach(async () => {
    for (const { context, api } of opened.splice(0)) {
      await api.app.close();
      await context.close();
    }
  });
  return async (dialect, env = {}) => {
    const context = await createTestContext(dialect, { env });
    const api = await createTestApi(context);
    opened.push({ context, api });
    return { context, api };
  };
}

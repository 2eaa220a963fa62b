// Races between a recovery (redemption) and what happens to the same account at that moment
// (issue 9, item 13): a sign-in with the old password, an admin editing the username. Argon2
// runs before each transaction, so the two requests overlap for tens of milliseconds; a varying
// head start makes them meet at different points from round to round.
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { sessionCookieOf, type TestApi } from '../helpers/api.js';
import { DIALECTS } from '../helpers/deps.js';
import { claimedPerson, createPersonViaApi, issueCodeViaApi, openApis, PASSWORD } from './support.js';

const open = openApis();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function redeem(api: TestApi, code: string, username: string, password: string): Promise<LightMyRequestResponse> {
  return api.app.inject({
    method: 'POST',
    url: '/api/v1/access-code/redeem',
    remoteAddress: '203.0.113.9',
    payload: { code, username, password },
  });
}

describe.each(DIALECTS)('races with a recovery (%s)', (dialect) => {
  it('a sign-in with the old password that overlaps a recovery never leaves a working session', async () => {
    const { api } = await open(dialect);
    const person = await claimedPerson(api, { name: 'Race Person', username: 'race.person' });
    let password = PASSWORD;
    const outcomes = { signInRefused: 0, signInEndedByRecovery: 0 };
    for (let round = 0; round < 12; round++) {
      const code = await issueCodeViaApi(api, person.id);
      const next = `fresh passphrase number ${round}`;
      const [redemption, signIn] = await Promise.all([
        redeem(api, code, 'race.person', next),
        sleep(round * 12).then(() =>
          api.app.inject({
            method: 'POST',
            url: '/api/v1/sessions',
            remoteAddress: '198.51.100.7',
            payload: { username: 'race.person', password },
          }),
        ),
      ]);
      expect(redemption.statusCode, redemption.body).toBe(200);
      password = next;
      if (signIn.statusCode !== 201) {
        expect([401, 429], signIn.body).toContain(signIn.statusCode);
        outcomes.signInRefused += 1;
        continue;
      }
      // The old password was accepted: whichever committed first, its session must not work now.
      const cookie = sessionCookieOf(signIn.headers['set-cookie']);
      const me = await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: cookie! } });
      expect(me.statusCode, `round ${round}: the old password's session outlived the recovery`).toBe(401);
      outcomes.signInEndedByRecovery += 1;
    }
    console.log(`[${dialect}] sign-in vs recovery outcomes`, outcomes);
  });

  it('a redemption never overwrites a username an admin sets at the same moment', async () => {
    const { api, context } = await open(dialect);
    const outcomes = { adminFirst: 0, redemptionFirst: 0 };
    for (let round = 0; round < 12; round++) {
      const person = await createPersonViaApi(api, { name: `Edit Race ${round}`, employeeId: `ER${round}` });
      const code = await issueCodeViaApi(api, person.id);
      const [redemption, edit] = await Promise.all([
        redeem(api, code, `chosen.${round}`, PASSWORD),
        sleep(round * 12).then(() =>
          api.app.inject({
            method: 'PATCH',
            url: `/api/v1/people/${person.id}`,
            headers: api.admin,
            payload: { username: `admin.set.${round}` },
          }),
        ),
      ]);
      expect(edit.statusCode, edit.body).toBe(200);
      const row = await context.deps.db
        .selectFrom('people')
        .select('username')
        .where('id', '=', person.id)
        .executeTakeFirstOrThrow();
      // Both answered 200 either way round; the admin's edit must be what stands.
      expect(row.username, `round ${round}`).toBe(`admin.set.${round}`);
      if (redemption.statusCode === 200) outcomes.redemptionFirst += 1;
      else {
        expect(redemption.statusCode, redemption.body).toBe(400);
        expect(redemption.json().error.code).toBe('username_mismatch');
        outcomes.adminFirst += 1;
      }
    }
    console.log(`[${dialect}] redemption vs username edit outcomes`, outcomes);
  });
});

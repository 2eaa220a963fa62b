// One whole journey: the CLI creates an admin, who claims the account with the printed access
// code, imports the staff list, prints codes; a worker claims, signs out and in, loses the
// password, recovers with a new code from the admin, and every older session ends.
// Needs the build (`npm run build`): the admin is created by `bin/keyslip admin create`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { csrfTokenFor } from '../../src/http/csrf.js';
import { sha256 } from '../../src/lib/random.js';
import { sessionCookieOf } from '../helpers/api.js';
import { createTestContext, DIALECTS, TEST_SECRET, type TestContext } from '../helpers/deps.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CODE = /[BCDFGHJKLMNPQRSTVWXZ]{4}(?:-[BCDFGHJKLMNPQRSTVWXZ]{4}){3}/;

describe.each(DIALECTS)('journey: from `keyslip admin create` to a recovered worker (%s)', (dialect) => {
  let dataDir: string;
  let context: TestContext;
  let app: FastifyInstance;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-journey-'));
    context = await createTestContext(
      dialect,
      dialect === 'sqlite' ? { sqliteFile: path.join(dataDir, 'keyslip.db') } : {},
    );
    context.clock.set(Date.now()); // the CLI runs on the real clock
    app = await buildApp(context.deps);
  });
  afterAll(async () => {
    await app?.close();
    await context?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'admin created by the CLI → claims → imports → bulk codes → ' +
      'worker claims, signs out and in → recovers; old sessions end',
    async () => {
      // 1. The CLI creates the admin and prints, once, the code that claims the account.
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        KEYSLIP_DATA_DIR: dataDir,
        KEYSLIP_SECRET: TEST_SECRET,
        KEYSLIP_LOG_LEVEL: 'silent',
      };
      if (dialect === 'postgres') env.KEYSLIP_DATABASE_URL = context.url; // SQLite: the default file in the data folder
      const cli = await run(
        process.execPath,
        [path.join(ROOT, 'bin/keyslip'), 'admin', 'create', '--name', 'Ada Admin', '--username', 'ada'],
        { env, cwd: ROOT },
      );
      const adminCode = CODE.exec(cli.stdout)?.[0];
      expect(adminCode, cli.stdout).toBeDefined();
      expect(cli.stdout).toContain('/work/accesscode');

      // 2. The admin claims the account with it: the username is shown to confirm.
      const post = (
        url: string,
        payload: unknown,
        headers: Record<string, string> = {},
      ): Promise<LightMyRequestResponse> =>
        app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers });
      expect(
        (await post('/api/v1/access-code/check', { code: adminCode!.toLowerCase().replace(/-/g, ' ') })).json(),
      ).toEqual({ username: 'ada', claim: true });
      const adminPassword = 'the ledger is always tidy';
      const adminClaim = await post('/api/v1/access-code/redeem', {
        code: adminCode,
        username: 'ada',
        password: adminPassword,
      });
      expect(adminClaim.statusCode, adminClaim.body).toBe(200);
      expect(adminClaim.json()).toMatchObject({
        claimed: true,
        person: { username: 'ada', role: 'admin', status: 'active' },
      });

      // 3. The admin signs in with the new password; the admin API takes the session.
      const adminSignIn = await post('/api/v1/sessions', { username: 'ada', password: adminPassword });
      expect(adminSignIn.statusCode).toBe(201);
      const adminCookie = sessionCookieOf(adminSignIn.headers['set-cookie'])!;
      // As the admin panel's script would send it: same origin, with the CSRF token of the session.
      const adminHeaders = {
        cookie: adminCookie,
        origin: context.deps.config.baseUrl,
        'x-csrf-token': csrfTokenFor(context.deps.keyring, sha256(adminCookie.replace(/^keyslip_session=/, ''))),
      };

      // 4. People imported from HR's CSV: one chooses a username when claiming, one has one already.
      const csv =
        'Name,Employee ID,Username,Department\nWendy Worker,W-1,,Warehouse\nOlle ' +
        'Olsson,W-2,olle,Warehouse\nPia Office,W-3,pia,Office\n';
      const imported = await app.inject({
        method: 'POST',
        url: '/api/v1/people/import',
        headers: { ...adminHeaders, 'content-type': 'text/csv' },
        payload: csv,
      });
      expect(imported.json()).toEqual({ created: 3, updated: 0, unchanged: 0, errors: [] });

      // 5. Codes for everyone without email, in one batch.
      const bulk = await app.inject({
        method: 'POST',
        url: '/api/v1/access-codes/bulk',
        headers: { ...adminHeaders, 'idempotency-key': 'journey-1' },
        payload: { filter: { hasEmail: false } },
      });
      expect(bulk.statusCode, bulk.body).toBe(201);
      const items = bulk.json().items as { id: string; name: string; username: string | null; code: string }[];
      const wendySlip = items.find((i) => i.name === 'Wendy Worker')!;
      const olleSlip = items.find((i) => i.name === 'Olle Olsson')!;
      expect(wendySlip.username).toBeNull();
      expect(olleSlip.username).toBe('olle');

      // 6. Wendy claims: she chooses a username (checked as she types), sets a password, is in.
      expect((await post('/api/v1/access-code/check', { code: wendySlip.code })).json()).toEqual({
        username: null,
        claim: true,
      });
      expect(
        (await post('/api/v1/access-code/username-available', { code: wendySlip.code, username: 'olle' })).json(),
      ).toMatchObject({ available: false, valid: true });
      expect(
        (await post('/api/v1/access-code/username-available', { code: wendySlip.code, username: 'wendy.w' })).json(),
      ).toEqual({ available: true, valid: true, suggestions: [] });
      const firstPassword = 'forklift licence renewed';
      const claim = await post('/api/v1/access-code/redeem', {
        code: wendySlip.code,
        username: 'wendy.w',
        password: firstPassword,
      });
      expect(claim.statusCode, claim.body).toBe(200);
      expect(claim.json()).toMatchObject({ claimed: true, person: { username: 'wendy.w', status: 'active' } });
      const claimCookie = sessionCookieOf(claim.headers['set-cookie'])!;
      const me = (cookie: string) => app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
      expect((await me(claimCookie)).json().person.username).toBe('wendy.w');
      // Olle confirms the username printed on his slip.
      expect((await post('/api/v1/access-code/check', { code: olleSlip.code })).json()).toEqual({
        username: 'olle',
        claim: true,
      });
      expect(
        (
          await post('/api/v1/access-code/redeem', {
            code: olleSlip.code,
            username: 'olle',
            password: 'night shift at dock four',
          })
        ).statusCode,
      ).toBe(200);

      // 7. Wendy signs out, 8. and signs in again.
      expect(
        (await app.inject({ method: 'DELETE', url: '/api/v1/sessions/current', headers: { cookie: claimCookie } }))
          .statusCode,
      ).toBe(204);
      expect((await me(claimCookie)).statusCode).toBe(401);
      const signIn = await post('/api/v1/sessions', { username: 'wendy.w', password: firstPassword });
      expect(signIn.statusCode).toBe(201);
      const oldCookie = sessionCookieOf(signIn.headers['set-cookie'])!;
      expect((await me(oldCookie)).statusCode).toBe(200);

      // 9. She forgets the password; the admin issues a short-lived recovery code.
      const wendyId = wendySlip.id;
      const recovery = await app.inject({
        method: 'POST',
        url: `/api/v1/people/${wendyId}/access-code`,
        headers: adminHeaders,
        payload: { lifetimeHours: 24 },
      });
      expect(recovery.statusCode, recovery.body).toBe(201);
      expect(recovery.headers['cache-control']).toBe('no-store');
      const recoveryCode = recovery.json().code as string;
      expect(
        (
          await app.inject({ method: 'GET', url: `/api/v1/people/${wendyId}/access-code`, headers: adminHeaders })
        ).json(),
      ).toMatchObject({ state: 'active', kind: 'recovery' });

      // 10. She recovers: confirms her username, sets a new password, is signed in.
      expect((await post('/api/v1/access-code/check', { code: recoveryCode })).json()).toEqual({
        username: 'wendy.w',
        claim: false,
      });
      const newPassword = 'pallet jack in aisle nine';
      const recovered = await post('/api/v1/access-code/redeem', {
        code: recoveryCode,
        username: 'wendy.w',
        password: newPassword,
      });
      expect(recovered.statusCode, recovered.body).toBe(200);
      expect(recovered.json().claimed).toBe(false);
      const newCookie = sessionCookieOf(recovered.headers['set-cookie'])!;

      // 11. The session from before the recovery is gone; the new one works; only the new password signs in.
      expect((await me(oldCookie)).statusCode).toBe(401);
      expect((await me(newCookie)).statusCode).toBe(200);
      expect((await post('/api/v1/sessions', { username: 'wendy.w', password: firstPassword })).statusCode).toBe(401);
      expect((await post('/api/v1/sessions', { username: 'wendy.w', password: newPassword })).statusCode).toBe(201);
      expect((await post('/api/v1/access-code/check', { code: recoveryCode })).json().error.code).toBe('code_unusable');

      // The admin sees the trail in the audit log, without any code in it.
      const audit = await app.inject({
        method: 'GET',
        url: `/api/v1/audit?personId=${wendyId}&limit=100`,
        headers: adminHeaders,
      });
      const actions = (audit.json().items as { action: string }[]).map((e) => e.action).reverse();
      // The import and the bulk issue leave an entry for each person they created or made a code for.
      expect(actions).toEqual([
        'person.created',
        'access_code.issued',
        'access_code.redeemed',
        'person.claimed',
        'session.ended',
        'sign_in.succeeded',
        'access_code.issued',
        'access_code.redeemed',
        'sign_in.failed',
        'sign_in.succeeded',
        'access_code.failed', // the used code tried once more
      ]);
      for (const code of [adminCode!, wendySlip.code, recoveryCode]) expect(audit.body).not.toContain(code);
    },
  );
});

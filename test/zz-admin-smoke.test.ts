import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { createTestContext } from '../test/helpers/deps.js';
import { buildApp } from '../src/app.js';
import { createPerson } from '../src/people/people.service.js';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { createSession } from '../src/sessions/session.js';

it('dumps', async () => {
  const ctx = await createTestContext('sqlite');
  const app = await buildApp(ctx.deps);
  const admin = await createPerson(ctx.deps, { name: 'Ada Admin', username: 'ada', role: 'admin' }, CLI_ACTOR);
  const p = await createPerson(ctx.deps, { name: 'Bo Berg', username: 'bo.berg', department: 'Kitchen', location: 'Malmö' }, CLI_ACTOR);
  const s = await createSession(ctx.deps.db, ctx.deps.config, admin.id, ctx.clock.now(), { ip: null, userAgent: null });
  const cookie = `keyslip_session=${s.token}`;
  for (const url of ['/admin/people', `/admin/people/${p.id}`, `/admin/people/${p.id}/access-code`, '/admin/access-codes/issue?hasEmail=false', '/admin/audit', '/admin/people/import', '/admin/people/new']) {
    const r = await app.inject({ url, headers: { cookie, 'accept-language': 'sv' } });
    console.log(url, r.statusCode, r.headers['cache-control']);
    writeFileSync('/tmp/adm/' + url.replace(/[^a-z]/g, '_') + '.html', r.body);
  }
});

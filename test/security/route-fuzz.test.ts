// Cross-site forgery against every route, property-based (fast-check, a fixed and a random seed):
// random spellings of each route's path (percent-encoded letters, case changes, doubled slashes,
// dot segments, trailing characters), random methods, content types and bodies, all sent as
// another web site would send them: with a cross-site Origin and the victim admin's session
// cookie, without the session's token. The invariants: never a 5xx; every refused write leaves
// every table as it was (people, codes, sessions, tokens, batches, audit log, rate limits).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Db } from '../../src/db/database.js';
import type { RoutePolicy } from '../../src/http/route-policy.js';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';
import { createTestApi, sessionCookieOf, type TestApi } from '../helpers/api.js';
import { createPersonViaApi, holds, issueCodeViaApi, logSeeds, PASSWORD } from './support.js';

logSeeds('route-fuzz');

/** Everything a forged request could change, including what only counting would (limits, audit). */
async function snapshot(db: Db): Promise<string> {
  const tables = [
    'people',
    'access_codes',
    'sessions',
    'api_tokens',
    'batches',
    'audit_events',
    'rate_limits',
  ] as const;
  const parts: unknown[] = [];
  for (const table of tables) parts.push(await db.selectFrom(table).selectAll().execute());
  // last_seen_at moves when the victim's own cookie is read (at most once a minute); not a change.
  const text = JSON.stringify(parts, (key, value: unknown) => (key === 'last_seen_at' ? undefined : value));
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A path with random spellings: percent-encoded letters, case changes, doubled slashes, dot segments,
 * trailing characters.
 */
function spelled(path: string): fc.Arbitrary<string> {
  // Half the picks land in the first segment (`/api/`, `/login`), where the old guard looked.
  const encodeLetters = fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).map((picks) => (value: string) => {
    const chars = [...value];
    for (const pick of picks) {
      const index = pick % 2 ? 1 + (pick % 4) : pick % chars.length;
      if (/^[A-Za-z]$/.test(chars[index]!))
        chars[index] = `%${chars[index]!.charCodeAt(0).toString(16)[pick % 2 ? 'toUpperCase' : 'toLowerCase']()}`;
    }
    return chars.join('');
  });
  const changeCase = fc.array(fc.nat(), { maxLength: 3 }).map((picks) => (value: string) => {
    const chars = [...value];
    for (const pick of picks) {
      const index = pick % chars.length;
      chars[index] =
        chars[index] === chars[index]!.toUpperCase() ? chars[index]!.toLowerCase() : chars[index]!.toUpperCase();
    }
    return chars.join('');
  });
  const segments = fc.constantFrom('//', '/./', '/x/../', '/%2e/', '/%2E%2E/', '/.%2e/').chain((insert) =>
    fc.nat().map((pick) => (value: string) => {
      const slashes = [...value.matchAll(/\//g)].map((m) => m.index!);
      const at = slashes[pick % slashes.length]!;
      return value.slice(0, at) + insert + value.slice(at + 1);
    }),
  );
  const trailing = fc
    .constantFrom('/', ';', ';x=1', '%20', '%00', '.', '%2F', '#x', '?_csrf=x', '%3F', '\t', '~')
    .map((tail) => (value: string) => value + tail);
  const transform = fc.oneof(
    { weight: 3, arbitrary: encodeLetters },
    { weight: 1, arbitrary: changeCase },
    { weight: 1, arbitrary: segments },
    { weight: 1, arbitrary: trailing },
  );
  return fc.array(transform, { maxLength: 3 }).map((steps) => steps.reduce((value, step) => step(value), path));
}

interface Body {
  kind: 'json' | 'form' | 'csv' | 'none';
  value: unknown;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/x-www-form-urlencoded',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/csv',
  'application/csv',
  'multipart/form-data; boundary=x',
  undefined,
];

describe.each(DIALECTS)('forged requests on every route (%s)', (dialect) => {
  let context: TestContext;
  let api: TestApi;
  let victimCookie: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    context = await createTestContext(dialect, {
      env: { KEYSLIP_RATE_CODE_FAILURES: '1000000', KEYSLIP_RATE_SIGNIN_FAILURES: '1000000' },
    });
    api = await createTestApi(context);
    const admin = await createPersonViaApi(api, { name: 'Victim Admin', username: 'victim', role: 'admin' });
    const code = await issueCodeViaApi(api, admin.id);
    const redeemed = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      payload: { code, username: 'victim', password: PASSWORD },
    });
    victimCookie = sessionCookieOf(redeemed.headers['set-cookie'])!;
    const target = await createPersonViaApi(api, { name: 'Target Person', username: 'target' });
    await issueCodeViaApi(api, target.id);
    ids.id = target.id;
  });
  afterAll(async () => {
    await api.app.close();
    await context.close();
  });

  /** The route's pattern with its parameters filled in (a real id most of the time). */
  function filled(url: string): fc.Arbitrary<string> {
    return fc
      .constantFrom('real', 'real', 'junk')
      .map((pick) =>
        url.replace(/:(\w+)|\*/g, (_match, name: string | undefined) =>
          pick === 'real' && name && ids[name] ? ids[name]! : name ? 'x0' : 'app.css',
        ),
      );
  }

  /** A body that would do harm through this route if the guard let it through. */
  function harmfulBody(route: RoutePolicy): Body {
    const json = (value: unknown): Body => ({ kind: 'json', value });
    const byRoute: Record<string, Body> = {
      'POST /api/v1/sessions': json({ username: 'victim', password: PASSWORD }),
      'POST /api/v1/people': json({ name: 'Forged Admin', username: 'forged', role: 'admin' }),
      'PATCH /api/v1/people/:id': json({ role: 'admin' }),
      'POST /api/v1/people/import': { kind: 'csv', value: 'name,username,role\nForged Admin,forged,admin\n' },
      'POST /api/v1/access-code/check': json({ code: 'BCDF-GHJK-LMNP-QRST' }),
      'POST /api/v1/access-code/redeem': json({ code: 'BCDF-GHJK-LMNP-QRST', username: 'victim', password: PASSWORD }),
      'POST /api/v1/access-codes/bulk': json({}),
      'POST /login': { kind: 'form', value: { _csrf: 'forged', login: 'victim', password: PASSWORD } },
      'POST /admin/people/new': {
        kind: 'form',
        value: { _csrf: 'forged', name: 'Forged Admin', username: 'forged', role: 'admin' },
      },
    };
    const known = byRoute[`${route.method} ${route.url}`];
    if (known) return known;
    if (route.body === 'application/x-www-form-urlencoded')
      return {
        kind: 'form',
        value: { _csrf: 'forged', role: 'admin', name: 'Forged', step: 'check', code: 'BCDF-GHJK-LMNP-QRST' },
      };
    return json({});
  }

  const otherBody = fc.constantFrom<Body>(
    { kind: 'json', value: { username: 'victim', password: PASSWORD } },
    { kind: 'json', value: { name: 'Forged Admin', username: 'forged', role: 'admin' } },
    { kind: 'form', value: { _csrf: 'forged', login: 'victim', password: PASSWORD, name: 'Forged', role: 'admin' } },
    { kind: 'csv', value: 'name,username,role\nForged Admin,forged,admin\n' },
    { kind: 'none', value: '' },
  );

  function payloadOf(item: Body): string {
    if (item.kind === 'json') return JSON.stringify(item.value);
    if (item.kind === 'form') return new URLSearchParams(item.value as Record<string, string>).toString();
    return String(item.value);
  }

  it('never a 5xx, and no forged request changes any table', async () => {
    const routes = api.app.routeTable;
    expect(routes.length).toBeGreaterThan(15);
    const request = fc.constantFrom(...routes).chain((route) =>
      fc.record({
        route: fc.constant(route),
        path: filled(route.url).chain(spelled),
        method: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...route.method.split(',')) },
          { weight: 1, arbitrary: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE') },
        ),
        contentType: fc.oneof(
          { weight: 3, arbitrary: fc.constant<string | undefined>(route.body) },
          { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        ),
        body: fc.oneof({ weight: 3, arbitrary: fc.constant(harmfulBody(route)) }, { weight: 1, arbitrary: otherBody }),
        site: fc.constantFrom<Record<string, string>>(
          { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
          { origin: 'https://evil.example' },
          { 'sec-fetch-site': 'cross-site' },
          { origin: 'https://sub.127.0.0.1.example', 'sec-fetch-site': 'same-site' },
          { origin: 'null' },
        ),
        token: fc.constantFrom(undefined, 'forged-token', ''),
      }),
    );
    let sent = 0;
    let refused = 0;
    await holds(
      fc.asyncProperty(request, async (input) => {
        const before = await snapshot(context.deps.db);
        const headers: Record<string, string> = {
          cookie: victimCookie,
          ...input.site,
          accept: 'application/json, text/html',
        };
        if (input.contentType !== undefined) headers['content-type'] = input.contentType;
        if (input.token !== undefined) headers['x-csrf-token'] = input.token;
        const payload = payloadOf(input.body);
        const response = await api.app.inject({
          method: input.method as 'POST',
          url: input.path,
          headers,
          remoteAddress: '192.0.2.200',
          ...(payload === '' ? {} : { payload }),
        });
        sent += 1;
        expect(response.statusCode, `${input.method} ${input.path}: ${response.body.slice(0, 200)}`).toBeLessThan(500);
        expect(response.statusCode, `${input.method} ${input.path} was let through`).toBeGreaterThanOrEqual(400);
        expect(sessionCookieOf(response.headers['set-cookie'])).toBeNull();
        refused += 1;
        expect(await snapshot(context.deps.db), `${input.method} ${input.path} changed a table`).toBe(before);
      }),
      150,
    );
    console.log(
      `route-fuzz (${dialect}): ${sent} forged requests over ${routes.length} write routes, ` +
        `${refused} refused, 0 state changes`,
    );
  });
});

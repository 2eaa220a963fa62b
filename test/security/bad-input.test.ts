// Hostile input at every public endpoint, property-based (fast-check): random and huge strings,
// wrong types, nested JSON, duplicate query parameters, NUL bytes, SQL and LIKE wildcards, bidi
// and zero-width characters, look-alike usernames, ß and ligatures in codes. The invariants:
// never a 5xx; every 4xx is JSON { error: { code, message } }; a refused request changes no row.
// Each property runs with a fixed and a random seed (see holds() in support.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { hashAccessCode, normaliseAccessCode } from '../../src/access-codes/access-code.js';
import { issueAccessCode } from '../../src/access-codes/access-codes.service.js';
import { newId } from '../../src/lib/id.js';
import { createTestContext, type TestContext } from '../helpers/deps.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import {
  claimedPerson,
  createPersonViaApi,
  expectErrorBody,
  fingerprint,
  holds,
  logSeeds,
  PASSWORD,
} from './support.js';

logSeeds('bad-input');

// ---------------------------------------------------------------------------------------------
// Arbitraries

const SAMPLES = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202e',
  'admin\u202eexe.txt',
  '\u2066x\u2069',
  '\u200b',
  'sam\u200b.lee',
  '\u200d\u200c',
  '\ufeff',
  '\u00ad',
  '%',
  '_',
  '%_%',
  '\\',
  '\\%',
  "'",
  '"',
  '""',
  "' OR '1'='1",
  "'; DROP TABLE people; --",
  '" OR 1=1 --',
  '*',
  'NEAR(a b)',
  'a AND b OR c NOT d',
  '^x',
  'NULL',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e400',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose.
  '${7*7}',
  '=HYPERLINK("http://evil.example","x")',
  '+1',
  '@SUM(A1)',
  '\t',
  '\r\n',
  '\n',
  'ß',
  'ﬀ',
  'ﬁ',
  'ﬃ',
  'ＳＡＭ．ＬＥＥ',
  'ｓａｍ.ｌｅｅ',
  'ѕаm.lее',
  'K',
  'İ',
  'ı',
  'ǅ',
  '😀',
  '\u{1F600}\u200d\u{1F600}',
  '\ud800',
  '\udfff',
  'x'.repeat(201),
  'x'.repeat(4097),
];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SAMPLES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom(...SAMPLES, 'a', 'B', 'sam', 'lee', '.', '-', '@', 'x.org'), { maxLength: 6 })
      .map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.integer({ min: 150, max: 100_000 }).map((n) => 'Q'.repeat(n)) },
);

function nested(depth: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
  return value;
}

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
  fc.integer({ min: 1, max: 3000 }).map(nested),
);

const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: wrongType },
);

/** A request body: the endpoint's fields (any missing, any hostile), extra fields, or anything at all. */
function bodyOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.record(fields, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.record({ ...fields, extra: fieldValue }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

/**
 * Percent-encodes like encodeURIComponent, but a lone surrogate becomes invalid UTF-8 (%ED%A0%80)
 * instead of an exception.
 */
function encode(value: string): string {
  let out = '';
  for (const char of value) out += /^[\ud800-\udfff]$/.test(char) ? '%ED%A0%80' : encodeURIComponent(char);
  return out;
}

interface RawRequest {
  payload: string;
  contentType: string | undefined;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'text/csv',
  'application/xml',
  'multipart/form-data; boundary=x',
  undefined,
];

/** The body as sent on the wire: usually JSON, sometimes broken JSON, deep nesting or another type. */
function rawOf(body: fc.Arbitrary<unknown>): fc.Arbitrary<RawRequest> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: body.map((value) => ({ payload: JSON.stringify(value) ?? 'null', contentType: 'application/json' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(body, fc.constantFrom(...CONTENT_TYPES))
        .map(([value, contentType]) => ({ payload: JSON.stringify(value) ?? '', contentType })),
    },
    {
      weight: 1,
      arbitrary: fc.string({ maxLength: 60 }).map((payload) => ({ payload, contentType: 'application/json' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 200_000 })
        .map((depth) => ({ payload: `${'['.repeat(depth)}${']'.repeat(depth)}`, contentType: 'application/json' })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 100_000 }).map((depth) => ({
        payload: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
        contentType: 'application/json',
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{"code":"x","code":"y"}',
          '{"__proto__":{"admin":true}}',
          '{"constructor":{"prototype":{"x":1}}}',
          '\u0000',
          '{"code":"\\u0000"}',
          '',
        )
        .map((payload) => ({ payload, contentType: 'application/json' })),
    },
  );
}

/** A look-alike of `username`: full-width, Cyrillic, other compatibility forms, invisible marks. */
function lookAlikeOf(username: string): fc.Arbitrary<string> {
  const confusable: Record<string, string[]> = {
    s: ['ѕ', 'ｓ', 'ꜱ', 'ş'],
    a: ['а', 'ａ', 'ɑ', 'á'],
    m: ['ｍ', 'ⅿ', 'м'],
    '.': ['．', '。', '․', '·'],
    l: ['ӏ', 'ｌ', 'ℓ', 'Ⅰ', 'ǀ'],
    e: ['е', 'ｅ', 'ℯ', 'ė'],
    d: ['ԁ', 'ｄ', 'ⅾ'],
    i: ['і', 'ｉ', 'ı', 'ⅰ'],
    n: ['ո', 'ｎ'],
  };
  const invisible = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u202e', '\u202d', '\u2066', '\u00ad'];
  return fc
    .tuple(
      fc.array(fc.nat({ max: username.length - 1 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat({ max: 20 }), { minLength: 3, maxLength: 3 }),
      fc.option(fc.tuple(fc.nat({ max: username.length }), fc.constantFrom(...invisible))),
    )
    .map(([positions, picks, mark]) => {
      const chars = [...username];
      positions.forEach((position, index) => {
        const options = confusable[chars[position]!];
        if (options) chars[position] = options[picks[index]! % options.length]!;
      });
      let result = chars.join('');
      if (mark) result = result.slice(0, mark[0]) + mark[1] + result.slice(mark[0]);
      return result;
    })
    .filter((candidate) => candidate !== username);
}

// ---------------------------------------------------------------------------------------------

let context: TestContext;
let api: TestApi;
const REMOTE = '192.0.2.77';

beforeAll(async () => {
  // Limits far out of reach, so the properties exercise validation rather than 429.
  context = await createTestContext('sqlite', {
    env: { KEYSLIP_RATE_CODE_FAILURES: '1000000', KEYSLIP_RATE_SIGNIN_FAILURES: '1000000' },
  });
  api = await createTestApi(context);
  await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
});
afterAll(async () => {
  await api.app.close();
  await context.close();
});

async function send(options: {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  raw?: RawRequest;
  headers?: Record<string, string>;
}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.raw?.contentType) headers['content-type'] = options.raw.contentType;
  return api.app.inject({
    method: options.method,
    url: options.url,
    remoteAddress: REMOTE,
    headers,
    ...(options.raw ? { payload: options.raw.payload } : {}),
  });
}

/** The invariants every answer keeps; `readOnly` endpoints may not change a row whatever they answer. */
async function expectSafe(
  response: LightMyRequestResponse,
  before: string,
  options: { readOnly?: boolean } = {},
): Promise<void> {
  expect(response.statusCode, `${response.statusCode} ${response.body.slice(0, 300)}`).toBeLessThan(500);
  if (response.statusCode >= 400) expectErrorBody(response);
  if (response.statusCode >= 400 || options.readOnly)
    expect(await fingerprint(context.deps.db), 'a refused request changed a row').toBe(before);
}

/** A fresh active code for a fresh unclaimed person (no username yet). */
async function freshClaimCode(): Promise<string> {
  const person = await createPersonViaApi(api, { name: 'Claim Me', employeeId: `E-${newId()}` });
  return (await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR })).code;
}

const codeField = fc.oneof(
  { weight: 4, arbitrary: fieldValue },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom(...'BCDFGHJKLMNPQRSTVWXZbcdfgh -ßﬀﬁＢＣａеС\u200b'), { minLength: 10, maxLength: 24 })
      .map((c) => c.join('')),
  },
);

describe('public redemption endpoints', () => {
  it('POST /api/v1/access-code/check never fails and never changes a row', async () => {
    await holds(
      fc.asyncProperty(rawOf(bodyOf({ code: codeField })), async (raw) => {
        const before = await fingerprint(context.deps.db);
        const response = await send({ method: 'POST', url: '/api/v1/access-code/check', raw });
        await expectSafe(response, before, { readOnly: true });
        expect(response.statusCode).not.toBe(200); // no random input opens a code
      }),
      150,
    );
  });

  it('POST /api/v1/access-code/username-available: random codes and usernames', async () => {
    const code = await freshClaimCode();
    await holds(
      fc.asyncProperty(
        rawOf(bodyOf({ code: fc.oneof(codeField, fc.constant(code)), username: fieldValue })),
        async (raw) => {
          const before = await fingerprint(context.deps.db);
          const response = await send({ method: 'POST', url: '/api/v1/access-code/username-available', raw });
          await expectSafe(response, before, { readOnly: true });
        },
      ),
      150,
    );
  });

  it(
    'POST /api/v1/access-code/redeem: random bodies, and ' + 'the real code with hostile usernames and passwords',
    async () => {
      const code = await freshClaimCode();
      const hostileUsername = fc.oneof(fieldValue, lookAlikeOf('sam.lee'), lookAlikeOf('claim.me'));
      await holds(
        fc.asyncProperty(
          fc.oneof(
            rawOf(bodyOf({ code: codeField, username: fieldValue, password: fieldValue })),
            rawOf(fc.record({ code: fc.constant(code), username: hostileUsername, password: fieldValue })),
          ),
          async (raw) => {
            const before = await fingerprint(context.deps.db);
            const response = await send({ method: 'POST', url: '/api/v1/access-code/redeem', raw });
            await expectSafe(response, before);
            // A success takes the real code, a plain ASCII username and a password that passes the policy.
            if (response.statusCode === 200)
              expect((response.json() as { person: { username: string } }).person.username).toMatch(
                /^[a-z0-9][a-z0-9._-]{2,63}$/,
              );
          },
        ),
        100,
      );
    },
  );

  it('look-alike usernames are rejected everywhere: create, sign-in, claim, availability', async () => {
    const claimCode = await freshClaimCode();
    await holds(
      fc.asyncProperty(fc.oneof(lookAlikeOf('sam.lee'), lookAlikeOf('admin.dina')), async (lookAlike) => {
        const before = await fingerprint(context.deps.db);
        const created = await send({
          method: 'POST',
          url: '/api/v1/people',
          headers: api.admin,
          raw: { payload: JSON.stringify({ name: 'Impostor', username: lookAlike }), contentType: 'application/json' },
        });
        expect(created.statusCode, lookAlike).toBe(400);
        expect(created.json().error.fields.map((f: { field: string }) => f.field)).toContain('username');

        const signIn = await send({
          method: 'POST',
          url: '/api/v1/sessions',
          raw: {
            payload: JSON.stringify({ username: lookAlike, password: PASSWORD }),
            contentType: 'application/json',
          },
        });
        expect(signIn.statusCode).toBe(401);

        const available = await send({
          method: 'POST',
          url: '/api/v1/access-code/username-available',
          raw: { payload: JSON.stringify({ code: claimCode, username: lookAlike }), contentType: 'application/json' },
        });
        expect(available.json()).toMatchObject({ available: false, valid: false });

        const claim = await send({
          method: 'POST',
          url: '/api/v1/access-code/redeem',
          raw: {
            payload: JSON.stringify({ code: claimCode, username: lookAlike, password: PASSWORD }),
            contentType: 'application/json',
          },
        });
        expect(claim.statusCode).toBe(400);
        expect(claim.json().error.code).toBe('validation_failed');
        await expectSafe(claim, before);
      }),
      60,
    );
  });

  it('POST /api/v1/sessions: random logins and passwords never sign in and never 5xx', async () => {
    await holds(
      fc.asyncProperty(
        rawOf(bodyOf({ username: fc.oneof(fieldValue, lookAlikeOf('sam.lee')), password: fieldValue })),
        async (raw) => {
          const before = await fingerprint(context.deps.db);
          const response = await send({ method: 'POST', url: '/api/v1/sessions', raw });
          expect(response.statusCode).not.toBe(201);
          await expectSafe(response, before);
        },
      ),
      60,
    );
  });
});

describe('codes: ß, ligatures, full-width and look-alike letters', () => {
  // A code with "SS" and one with "FF", so that ß (→ "SS" when upper-cased) and ﬀ (→ "ff" under
  // NFKC) have something they could be mistaken for.
  const SS_CODE = 'BCDFGHJKLMNPQRSS';
  const FF_CODE = 'BCDFFGHJKLMNPQRS';

  beforeAll(async () => {
    const now = context.clock.now();
    for (const [index, code] of [SS_CODE, FF_CODE].entries()) {
      const person = await createPersonViaApi(api, { name: `Code Holder ${index}`, employeeId: `CH-${index}` });
      const key = context.deps.keyring.current;
      await context.deps.db
        .insertInto('access_codes')
        .values({
          id: newId(now),
          person_id: person.id,
          code_hash: hashAccessCode(key, code),
          key_id: key.id,
          kind: 'claim',
          created_at: now,
          expires_at: now + 86_400_000,
          used_at: null,
          deactivated_at: null,
          replaced_at: null,
          issued_by: 'test',
          batch_id: null,
          code_encrypted: null,
        })
        .execute();
    }
  });

  const check = (code: string): Promise<LightMyRequestResponse> =>
    send({
      method: 'POST',
      url: '/api/v1/access-code/check',
      raw: { payload: JSON.stringify({ code }), contentType: 'application/json' },
    });

  it('ß never stands for SS; a Cyrillic or Greek look-alike is read as the one letter it is drawn like', async () => {
    expect((await check('BCDF-GHJK-LMNP-QRSS')).statusCode).toBe(200);
    expect((await check('bcdf ghjk lmnp qrss')).statusCode).toBe(200);
    for (const variant of ['BCDF-GHJK-LMNP-QRß', 'bcdfghjklmnpqrß', 'BCDF-GHJK-LMNP-QRẞ']) {
      const response = await check(variant);
      expect(response.statusCode, variant).toBe(400);
      // Never a code: refused as such, before any lookup.
      expect(response.json().error.code).toBe('code_malformed');
    }
    // One to one, so still a guess at exactly one code: a phone set to Ukrainian or Greek types these.
    for (const variant of ['ВСDF-GHJK-LMNP-QRSS', 'BCDF-GHJK-LMΝP-QRSS', 'BCDF-GHJK-LMNP-QRЅЅ']) {
      expect(normaliseAccessCode(variant), variant).toBe(SS_CODE);
      expect((await check(variant)).statusCode, variant).toBe(200);
    }
  });

  it(
    'full-width letters and ligatures count as the letters NFKC makes ' +
      'of them; a ligature with a letter outside the alphabet is refused',
    async () => {
      expect((await check('ＢＣＤＦ－ＧＨＪＫ－ＬＭＮＰ－ＱＲＳＳ')).statusCode).toBe(200);
      expect((await check('BCDﬀ-GHJK-LMNP-QRS')).statusCode).toBe(200);
      expect(normaliseAccessCode('BCDﬀGHJKLMNPQRS')).toBe(FF_CODE);
      expect(normaliseAccessCode('BCDﬁGHJKLMNPQRS')).toBeNull(); // ﬁ is "fi": I is not in the alphabet
      expect(normaliseAccessCode('BCDF\u200bGHJK\u00adLMNP\ufeffQRSS')).toBe(SS_CODE);
      expect(normaliseAccessCode('BCDF\u202eGHJKLMNPQRSS')).toBeNull();
      expect(normaliseAccessCode('BCDF\u0000GHJKLMNPQRSS')).toBeNull();
    },
  );

  it('whatever is typed, a code is accepted only if it normalises to exactly the issued code', async () => {
    const letters = [...SS_CODE];
    const substitutes = [
      'ß',
      'ẞ',
      'ﬀ',
      'ﬁ',
      'ｓ',
      'Ｓ',
      'ѕ',
      'Ѕ',
      'С',
      'с',
      'ｃ',
      'Ⅽ',
      'ⅽ',
      '\u200b',
      '\u202e',
      '\u0000',
      '-',
      ' ',
      's',
      'A',
      'I',
      'O',
      '0',
      '1',
    ];
    await holds(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: letters.length - 1 }), fc.constantFrom(...substitutes)), {
          minLength: 1,
          maxLength: 3,
        }),
        async (edits) => {
          const chars = [...letters];
          for (const [position, substitute] of edits) chars[position] = substitute;
          const typed = chars.join('');
          const response = await check(typed);
          expect(response.statusCode).toBeLessThan(500);
          // Both issued codes can be hit: an edit may turn one into the other (F → ﬀ, S → ' ').
          if (response.statusCode === 200) expect([SS_CODE, FF_CODE]).toContain(normaliseAccessCode(typed));
          // Input that can never be a code says so; anything else gets the one uniform answer.
          else
            expect(response.json().error.code).toBe(
              normaliseAccessCode(typed) === null ? 'code_malformed' : 'code_unusable',
            );
          const normalised = normaliseAccessCode(typed);
          if (normalised !== null) expect(normalised).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{16}$/);
        },
      ),
      150,
    );
  });
});

describe('admin endpoints with a token', () => {
  const personFields = {
    name: fieldValue,
    username: fc.oneof(fieldValue, lookAlikeOf('sam.lee'), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{2,20}$/)),
    email: fc.oneof(fieldValue, fc.emailAddress()),
    employeeId: fieldValue,
    department: fieldValue,
    location: fieldValue,
    title: fieldValue,
    role: fc.oneof(fc.constantFrom('member', 'admin', 'ADMIN', 'owner', ''), wrongType),
  };

  it('POST /api/v1/people: a created person has only clean values', async () => {
    await holds(
      fc.asyncProperty(rawOf(bodyOf(personFields)), async (raw) => {
        const before = await fingerprint(context.deps.db);
        const response = await send({ method: 'POST', url: '/api/v1/people', headers: api.admin, raw });
        await expectSafe(response, before);
        if (response.statusCode === 201) {
          const person = response.json() as { name: string; username: string | null; email: string | null };
          expect(person.name).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
          if (person.username !== null) expect(person.username).toMatch(/^[a-z0-9][a-z0-9._-]{2,63}$/);
          if (person.email !== null) expect(person.email).not.toMatch(/[\s\u0000]/);
        }
      }),
      150,
    );
  });

  it('PATCH /api/v1/people/:id with random bodies and ids', async () => {
    const target = await createPersonViaApi(api, { name: 'Patch Target', employeeId: 'PT-1' });
    const id = fc.oneof(
      { weight: 4, arbitrary: fc.constant(target.id) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: hostileString.map(encode) },
    );
    await holds(
      fc.asyncProperty(id, rawOf(bodyOf(personFields)), async (personId, raw) => {
        const before = await fingerprint(context.deps.db);
        const response = await send({ method: 'PATCH', url: `/api/v1/people/${personId}`, headers: api.admin, raw });
        await expectSafe(response, before);
      }),
      150,
    );
  });

  const queryKeys = [
    'q',
    'hasEmail',
    'status',
    'codeState',
    'department',
    'location',
    'limit',
    'cursor',
    'count',
    'extra',
  ];
  const queryValue = fc.oneof(
    hostileString,
    fc.constantFrom('true', 'false', 'active', 'unclaimed', 'none', '0', '201', '-5', '1.5', 'e30', 'WyJhIiwiYiJd'),
  );
  const queryString = fc
    .array(fc.tuple(fc.constantFrom(...queryKeys), queryValue, fc.boolean()), { maxLength: 6 })
    .map((pairs) =>
      pairs.map(([key, value, encoded]) => `${key}=${encoded ? encode(value) : value.replace(/[#\s]/g, '')}`).join('&'),
    );

  it('GET /api/v1/people: hostile, duplicate and malformed query parameters', async () => {
    await holds(
      fc.asyncProperty(queryString, async (query) => {
        const before = await fingerprint(context.deps.db);
        const response = await send({ method: 'GET', url: `/api/v1/people?${query}`, headers: api.admin });
        await expectSafe(response, before, { readOnly: true });
      }),
      200,
    );
    for (const query of [
      'q=a&q=b',
      'status=active&status=unclaimed',
      'limit=1&limit=2',
      'hasEmail=true&hasEmail=false',
      'q=%',
      'q=_',
      'q=%25%25%25',
      'q=%00',
      'q=%E2%80%AE',
      'q=%ZZ',
      'cursor=%00%00',
    ]) {
      const response = await send({ method: 'GET', url: `/api/v1/people?${query}`, headers: api.admin });
      expect(response.statusCode, query).toBeLessThan(500);
      if (response.statusCode >= 400) expectErrorBody(response);
    }
  });

  it('a LIKE or FTS wildcard in a search matches itself, not everything', async () => {
    await createPersonViaApi(api, { name: 'Percent 100% Sure', employeeId: 'PCT-1' });
    for (const q of ['%', '%%', '_', '__', '%_%', '"', '*', 'NEAR']) {
      const response = await send({
        method: 'GET',
        url: `/api/v1/people?limit=200&q=${encode(q)}`,
        headers: api.admin,
      });
      expect(response.statusCode, q).toBe(200);
      for (const person of (
        response.json() as {
          items: { name: string; username: string | null; email: string | null; employeeId: string | null }[];
        }
      ).items) {
        const haystack = [person.name, person.username, person.email, person.employeeId].join(' ').toLowerCase();
        expect(haystack, `q=${q}`).toContain(q.toLowerCase());
      }
    }
  });

  it('POST /api/v1/people/:id/access-code with hostile lifetimes and ids', async () => {
    const target = await createPersonViaApi(api, { name: 'Issue Target', employeeId: 'IT-1' });
    const lifetime = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(0, -1, 1, 2160, 2161, 1e308, '24', '24h', null),
      wrongType,
    );
    const id = fc.oneof(
      { weight: 4, arbitrary: fc.constant(target.id) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: hostileString.map(encode) },
    );
    await holds(
      fc.asyncProperty(id, rawOf(bodyOf({ lifetimeHours: lifetime })), async (personId, raw) => {
        const before = await fingerprint(context.deps.db);
        const response = await send({
          method: 'POST',
          url: `/api/v1/people/${personId}/access-code`,
          headers: api.admin,
          raw,
        });
        await expectSafe(response, before);
      }),
      150,
    );
  });

  it('other person routes with hostile ids: GET, DELETE code, DELETE sessions, deactivate', async () => {
    const id = fc.oneof(
      fc.uuid(),
      hostileString.map(encode),
      fc.constantFrom('..', '%2e%2e', '%00', '1;drop', "'", '00000000-0000-0000-0000-000000000000'),
    );
    const route = fc.constantFrom(
      { method: 'GET' as const, suffix: '' },
      { method: 'GET' as const, suffix: '/access-code' },
      { method: 'DELETE' as const, suffix: '/access-code' },
      { method: 'DELETE' as const, suffix: '/sessions' },
      { method: 'POST' as const, suffix: '/deactivate' },
    );
    await holds(
      fc.asyncProperty(id, route, async (personId, { method, suffix }) => {
        const before = await fingerprint(context.deps.db);
        const response = await send({ method, url: `/api/v1/people/${personId}${suffix}`, headers: api.admin });
        await expectSafe(response, before);
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
      }),
      100,
    );
  });

  it('GET /api/v1/audit with hostile filters', async () => {
    const keys = ['personId', 'actorId', 'action', 'from', 'to', 'limit', 'cursor', 'extra'];
    const value = fc.oneof(
      hostileString,
      fc.constantFrom(
        'person.created',
        'sign_in.failed',
        '2026-01-01T00:00:00Z',
        '2026-13-45T99:99:99Z',
        'yesterday',
        '0',
        '501',
        '-1',
      ),
    );
    await holds(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...keys), value), { maxLength: 5 }), async (pairs) => {
        const before = await fingerprint(context.deps.db);
        const query = pairs.map(([key, v]) => `${key}=${encode(v)}`).join('&');
        const response = await send({ method: 'GET', url: `/api/v1/audit?${query}`, headers: api.admin });
        await expectSafe(response, before, { readOnly: true });
      }),
      150,
    );
  });

  it('POST /api/v1/access-codes/bulk with hostile filters, lifetimes, Accept and Idempotency-Key headers', async () => {
    const filter = fc.oneof(
      fc.record(
        {
          q: fieldValue,
          hasEmail: fc.oneof(fc.boolean(), fieldValue),
          status: fc.oneof(fc.constantFrom('unclaimed', 'active', 'deactivated'), fieldValue),
          codeState: fc.oneof(fc.constantFrom('none', 'active', 'used', 'expired'), fieldValue),
          department: fieldValue,
          location: fieldValue,
        },
        { requiredKeys: [] },
      ),
      wrongType,
    );
    const headers = fc.record(
      {
        accept: fc.constantFrom('application/json', 'text/csv', 'application/pdf', '*/*', 'text/html', ''),
        'idempotency-key': fc.oneof(
          fc.string({ unit: 'binary-ascii', maxLength: 20 }).filter((v) => /^[\t\x20-\x7e]*$/.test(v)),
          fc.constant('k'.repeat(300)),
          fc.constant(''),
        ),
      },
      { requiredKeys: [] },
    );
    await holds(
      fc.asyncProperty(
        rawOf(bodyOf({ filter, lifetimeHours: fc.oneof(fc.integer(), fieldValue) })),
        headers,
        async (raw, extra) => {
          const before = await fingerprint(context.deps.db);
          const response = await send({
            method: 'POST',
            url: '/api/v1/access-codes/bulk',
            headers: { ...api.admin, ...extra },
            raw,
          });
          await expectSafe(response, before);
        },
      ),
      60,
    );
  });

  it('a body over the 1 MiB limit is refused with 413 and changes nothing', async () => {
    const before = await fingerprint(context.deps.db);
    const response = await send({
      method: 'POST',
      url: '/api/v1/people',
      headers: api.admin,
      raw: { payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }), contentType: 'application/json' },
    });
    expect(response.statusCode).toBe(413);
    await expectSafe(response, before);
  });
});

describe('the CSV importer', () => {
  const cell = fc.oneof(
    hostileString,
    fc.constantFrom(
      '=1+1',
      '=HYPERLINK("http://evil.example")',
      '+SUM(A1)',
      '-2',
      '@x',
      '\t=1',
      '\r=1',
      '"',
      '""',
      '"a""b"',
      'a,b',
      'a\nb',
      'a\r\nb',
    ),
  );
  const header = fc.oneof(
    fc.constant(['name', 'username', 'email', 'employeeId', 'department']),
    fc.shuffledSubarray(
      [
        'name',
        'Full Name',
        'username',
        'e-mail',
        'Email',
        'employee_id',
        'Employee ID',
        'department',
        'location',
        'title',
        'role',
        'x',
        '',
      ],
      { minLength: 1 },
    ),
    fc.array(hostileString, { minLength: 1, maxLength: 4 }),
  );
  const quote = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const csvBody = fc.oneof(
    fc
      .tuple(
        header,
        fc.array(fc.array(cell, { maxLength: 7 }), { maxLength: 12 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.boolean(),
      )
      .map(
        ([head, rows, eol, quoted, bom]) =>
          (bom ? '\ufeff' : '') +
          [head, ...rows].map((row) => row.map((value) => (quoted ? quote(value) : value)).join(',')).join(eol),
      ),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constantFrom(
      '',
      '\ufeff',
      'name\n"unterminated',
      'name,username\n"a"b",c',
      `name,username\n${'x,'.repeat(20_000)}`,
    ),
  );

  it('random CSV bodies never 5xx; a refused file changes nothing; an accepted one reports every row', async () => {
    await holds(
      fc.asyncProperty(
        csvBody,
        fc.constantFrom('text/csv', 'text/plain', 'application/csv'),
        async (body, contentType) => {
          const before = await fingerprint(context.deps.db);
          const response = await send({
            method: 'POST',
            url: '/api/v1/people/import',
            headers: api.admin,
            raw: { payload: body, contentType },
          });
          await expectSafe(response, before);
          if (response.statusCode === 200) {
            const report = response.json() as {
              created: number;
              updated: number;
              errors: { line: number; message: string }[];
            };
            expect(report.created).toBeGreaterThanOrEqual(0);
            for (const error of report.errors) expect(typeof error.message).toBe('string');
          }
        },
      ),
      150,
    );
  });

  it(
    'a file that breaks after the first chunk (2,500 rows) keeps what it ' +
      'committed and says where it broke (not a 400 that hides a change)',
    async () => {
      const rows = Array.from({ length: 3000 }, (_, i) => `Bulk Person ${i},BP-${i}`);
      const body = `name,employeeId\n${rows.join('\n')}\n"unterminated,BP-x`;
      const response = await send({
        method: 'POST',
        url: '/api/v1/people/import',
        headers: api.admin,
        raw: { payload: body, contentType: 'text/csv' },
      });
      expect(response.statusCode).toBe(200);
      const report = response.json() as { created: number; errors: { line: number; message: string }[] };
      expect(report.created).toBe(3000);
      expect(report.errors.at(-1)!.message).toMatch(/not valid CSV/);

      const before = await fingerprint(context.deps.db);
      const small = await send({
        method: 'POST',
        url: '/api/v1/people/import',
        headers: api.admin,
        raw: { payload: 'name,employeeId\nShort File,SF-1\n"unterminated,SF-2', contentType: 'text/csv' },
      });
      expect(small.statusCode).toBe(400);
      expect(small.json().error.code).toBe('invalid_csv');
      expect(await fingerprint(context.deps.db)).toBe(before);
    },
  );

  it('hostile cells are stored as plain text (the CSV export neutralises them, see csv-export.test.ts)', async () => {
    const body =
      'name,employeeId,department\n"=HYPERLINK(""http://evil.example"",""x"")",HC-1,"+SUM(A1)"\n"@cmd",HC-2,"-1+1"\n';
    const response = await send({
      method: 'POST',
      url: '/api/v1/people/import',
      headers: api.admin,
      raw: { payload: body, contentType: 'text/csv' },
    });
    expect(response.json()).toMatchObject({ created: 2, errors: [] });
    const rows = await context.deps.db
      .selectFrom('people')
      .select(['name', 'department'])
      .where('employee_id', 'in', ['HC-1', 'HC-2'])
      .orderBy('employee_id')
      .execute();
    expect(rows).toEqual([
      { name: '=HYPERLINK("http://evil.example","x")', department: '+SUM(A1)' },
      { name: '@cmd', department: '-1+1' },
    ]);
  });
});

// The directory's search answers the same on SQLite and PostgreSQL: the same ~300 people, in many
// scripts, are loaded into each database and every query is compared, in order and page by page,
// with one plain-JavaScript answer (substring of the lower-cased search text from three letters,
// the start of a word below three; names in code-point order, then id). PostgreSQL runs in a
// database of its own whose default collation is Swedish (ICU), so a query that leaned on the
// server's collation would sort differently and fail here.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import type { Dialect } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { PersonCodeState, PersonRow, PersonStatus } from '../src/db/schema.js';
import { insertPeopleRows } from './helpers/people.js';
import {
  codeStateOf,
  searchTextOf,
  validatePersonInput,
  type CodeState,
  type SignedInPerson,
} from '../src/people/person.js';
import {
  countPeople,
  listFacets,
  searchPeopleRows,
  type PeopleFilter,
  type PeoplePageCursor,
} from '../src/people/people.store.js';
import { createTestApi } from './helpers/api.js';
import { createTestContext, DIALECTS, POSTGRES_URL } from './helpers/deps.js';

const NOW = Date.UTC(2026, 0, 1, 9, 0, 0);
const DAY = 24 * 60 * 60 * 1000;

// --- The people ------------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CULTURES: { given: string[]; family: string[]; familyFirst?: boolean; joiner?: string }[] = [
  {
    given: ['Åsa', 'Björn', 'Märta', 'Göran', 'Sören', 'Anna', 'Lars', 'Ingrid', 'Åke', 'Ylva', 'anna'],
    family: ['Öberg', 'Åström', 'Lindqvist', 'Svensson', 'Ängström', 'Nyström', 'Bäckman', 'af Klint'],
  },
  {
    given: ['Aino', 'Väinö', 'Eero', 'Päivi', 'Jyrki', 'Tuulikki', 'Ilmari'],
    family: ['Äijälä', 'Mäkinen', 'Hämäläinen', 'Virtanen', 'Köykkä', 'Lähteenmäki'],
  },
  { given: ['محمد', 'فاطمة', 'علي', 'ليلى', 'يوسف'], family: ['الأحمد', 'حسن', 'العلي', 'منصور'] },
  {
    given: ['Hương', 'Đức', 'Ánh', 'Bảo', 'Tuấn', 'Thảo'],
    family: ['Nguyễn Thị', 'Trần Văn', 'Lê', 'Phạm', 'Hoàng', 'Đặng'],
    familyFirst: true,
  },
  { given: ['小明', '伟', '芳', '娜', '静'], family: ['王', '李', '张', '刘', '陈'], familyFirst: true, joiner: '' },
  {
    given: ['José', 'María', 'Iñigo', 'Begoña', 'Ángel', 'Nuria'],
    family: ['Muñoz', 'García', 'Núñez', 'Peña', 'Ibáñez', 'Rodríguez de la Fuente'],
  },
];

// Names that find the edges: quotes, LIKE's own wildcards, a backslash, decomposed accents, Greek
// final sigma (which SQLite's trigram index folds into σ), Turkish dotted İ, German ß, duplicates.
const ODD_PEOPLE: { name: string; email?: string; employeeId?: string }[] = [
  { name: "Siobhán O'Connor", email: "siobhan.o'connor@example.ie" },
  { name: 'Jean "JJ" Dupont', employeeId: 'E-"7"' },
  { name: '100% Lindgren', employeeId: 'P%10' },
  { name: 'Anna_Maria Berg', email: 'anna_maria@example.se' },
  { name: 'Back\\Slash Olsson', employeeId: 'B\\1' },
  { name: 'Jose\u0301 Decomposed', employeeId: 'NFD-1' },
  { name: 'Νικόλαος Παπαδόπουλος', email: 'nikolaos@example.gr' },
  { name: 'İlkay Yıldız', employeeId: 'TR-1' },
  { name: 'Jürgen Straße', employeeId: 'DE-ß' },
  { name: 'Anna Svensson', employeeId: 'DUP-1' },
  { name: 'Anna Svensson', employeeId: 'DUP-2' },
  { name: 'Anna Svensson', email: 'anna.svensson@example.se' },
  { name: 'Zoë Ångström', email: 'zoe@example.se' },
  { name: 'ZZ Top', employeeId: 'ZZ' },
  { name: 'émile zola', employeeId: 'FR-1' },
  { name: 'Ærøskøbing Ø', employeeId: 'DK-1' },
];

const DEPARTMENTS = ['Kök', 'Städ', 'Lager', 'Vård', 'IT', 'Ekonomi', 'kassa', 'Administración', 'Zebra', 'Ärenden'];
const LOCATIONS = [
  'Göteborg',
  'Malmö',
  'Stockholm',
  'Åre',
  'Östersund',
  'Helsinki',
  'Hà Nội',
  'الرياض',
  '北京',
  'Madrid',
  'ängelholm',
];

function asciiSlug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]+/g, '');
}

function idOf(index: number): string {
  // Fixed ids, the same in both databases, so ties between equal names break the same way.
  return `01900000-0000-7000-8000-${index.toString(16).padStart(12, '0')}`;
}

function buildPeople(): PersonRow[] {
  const random = mulberry32(20260101);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const inputs: { name: string; email?: string; employeeId?: string }[] = [...ODD_PEOPLE];
  for (let i = 0; inputs.length < 300; i++) {
    const culture = CULTURES[i % CULTURES.length]!;
    const given = pick(culture.given);
    const family = pick(culture.family);
    const joiner = culture.joiner ?? ' ';
    const name = culture.familyFirst ? `${family}${joiner}${given}` : `${given}${joiner}${family}`;
    const slug = asciiSlug(name) || 'person';
    const input: { name: string; email?: string; employeeId?: string } = { name };
    if (random() < 0.6) input.email = `${slug}${i % 5 === 0 ? '_' : '.'}${i}@example.${pick(['se', 'fi', 'com'])}`;
    if (!input.email || random() < 0.5) input.employeeId = `E${1000 + i}`;
    inputs.push(input);
  }

  return inputs.map((input, index) => {
    const checked = validatePersonInput(
      {
        ...input,
        department: random() < 0.8 ? pick(DEPARTMENTS) : null,
        location: random() < 0.8 ? pick(LOCATIONS) : null,
      },
      { creating: true },
    );
    if (!checked.ok) throw new Error(`test person ${input.name} is not valid: ${JSON.stringify(checked.problems)}`);
    const fields = checked.fields;
    const roll = random();
    const status: PersonStatus = roll < 0.6 ? 'unclaimed' : roll < 0.9 ? 'active' : 'deactivated';
    const username = status === 'active' ? `u${index}.${asciiSlug(fields.name!).slice(0, 12) || 'x'}` : null;
    const codeRoll = random();
    const codeState: PersonCodeState =
      codeRoll < 0.3 ? 'none' : codeRoll < 0.7 ? 'active' : codeRoll < 0.85 ? 'used' : 'deactivated';
    const row: PersonRow = {
      id: idOf(index),
      name: fields.name!,
      username,
      email: fields.email ?? null,
      employee_id: fields.employee_id ?? null,
      department: fields.department ?? null,
      location: fields.location ?? null,
      title: null,
      role: 'member',
      status,
      password_hash: null,
      search_text: '',
      code_state: codeState,
      // Half of the active codes have run out by NOW (the "expired" filter).
      code_expires_at: codeState === 'active' ? NOW + (random() < 0.5 ? -DAY : 30 * DAY) : null,
      failed_sign_ins: 0,
      last_failed_sign_in_at: null,
      created_at: NOW - DAY,
      updated_at: NOW - DAY,
      claimed_at: status === 'active' ? NOW - DAY : null,
      last_sign_in_at: null,
      deactivated_at: status === 'deactivated' ? NOW - DAY : null,
    };
    row.search_text = searchTextOf(row);
    return row;
  });
}

// --- The expected answer, in plain JavaScript ------------------------------------------------

/** SQLite's BINARY order and PostgreSQL's "C": UTF-8 bytes, i.e. code points. */
function byNameThenId(a: PersonRow, b: PersonRow): number {
  return (
    Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8')) ||
    Buffer.compare(Buffer.from(a.id), Buffer.from(b.id))
  );
}

/**
 * The rule, written out plainly: three or more characters anywhere in the text; one or two at
 * the start of a word, words being what lies between spaces and ASCII punctuation.
 */
function plainMatch(text: string, q: string): boolean {
  if ([...q].length >= 3) return text.includes(q);
  const words = text.split(/[\x00-\x2f\x3a-\x60\x7b-\x7f]+/);
  return words.some((word) => word !== '' && word.startsWith(q));
}

function expectedMatches(people: readonly PersonRow[], filter: PeopleFilter): PersonRow[] {
  const q = filter.q?.normalize('NFKC').toLowerCase().trim() ?? '';
  return people
    .filter((p) => q === '' || plainMatch(p.search_text, q))
    .filter((p) => filter.hasEmail === undefined || (p.email !== null) === filter.hasEmail)
    .filter((p) => !filter.status || p.status === filter.status)
    .filter((p) => !filter.department || p.department === filter.department)
    .filter((p) => !filter.location || p.location === filter.location)
    .filter((p) => !filter.codeState || codeStateOf(p, NOW) === filter.codeState)
    .sort(byNameThenId);
}

const label = (p: Pick<PersonRow, 'name' | 'id'>): string => `${p.name} [${p.id.slice(-4)}]`;

// --- The queries -----------------------------------------------------------------------------

const QUERIES: string[] = [
  // one letter
  'a',
  'å',
  'Ö',
  'n',
  'ễ',
  '王',
  'م',
  'ß',
  'i',
  'σ',
  'ς',
  'ø',
  // two letters
  'an',
  'ng',
  'ää',
  'ÄÄ',
  'حم',
  '小明',
  'ñu',
  'ıl',
  'os',
  'ος',
  // three and more
  'ann',
  'ANNA',
  'nguy',
  'son',
  'öberg',
  'ÖBERG',
  'muñoz',
  'MUÑOZ',
  'محمد',
  'hương',
  'nguyễn thị',
  'λαοσ',
  'λαος',
  'νικόλαος',
  'i̇lkay',
  'İlkay',
  'ilkay',
  'strasse',
  'straße',
  'STRASSE',
  'josé',
  'jose\u0301',
  'jose',
  'anna svensson',
  ' anna ',
  '@example.se',
  'e10',
  'rodríguez de la',
  'af klint',
  'ærø',
  'zola',
  'emile',
  '北京',
  'xyz-no-such-person',
  // LIKE's wildcards and escape, which must match only themselves
  '%',
  '_',
  '%%',
  'a%',
  '%a',
  'a_n',
  '_a_',
  'anna_',
  '100%',
  '0% l',
  'p%1',
  '\\',
  'k\\s',
  'b\\1',
  // quotes, for SQL and for FTS5's phrase syntax
  "'",
  "o'c",
  "'connor",
  '"',
  '"jj"',
  '"jj',
  'e-"7"',
  "''",
  '""',
  // things no stored text holds
  'a\u0000b',
  '\u0000',
  'an\tna',
];

const FILTERS: PeopleFilter[] = [
  {},
  { status: 'active' },
  { status: 'deactivated' },
  { hasEmail: true },
  { hasEmail: false },
  { codeState: 'active' },
  { codeState: 'expired' },
  { codeState: 'none' },
  { codeState: 'used' },
  { codeState: 'deactivated' },
  { department: 'Kök' },
  { department: 'kassa' },
  { location: 'Hà Nội' },
  { location: 'Malmö', status: 'unclaimed' },
  { q: 'an', department: 'Städ' },
  { q: 'son', hasEmail: true, codeState: 'active' as CodeState },
  { q: 'ng', location: 'Helsinki', status: 'active' },
  { department: 'a\u0000' },
];

const ALL_FILTERS: PeopleFilter[] = [...QUERIES.map((q) => ({ q })), ...FILTERS];

// --- The databases ---------------------------------------------------------------------------

interface Loaded {
  handle: DatabaseHandle;
  close(): Promise<void>;
}

/** A PostgreSQL database of its own, created with a Swedish ICU default collation. */
async function swedishPostgres(): Promise<Loaded> {
  const name = `ks_parity_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(
    `create database ${name} template template0 encoding 'UTF8' ` +
      "locale_provider icu icu_locale 'sv-SE' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'",
  );
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const handle = openDatabase(url.toString(), { poolSize: 4 });
  return {
    handle,
    close: async () => {
      await handle.close();
      const dropper = new pg.Client({ connectionString: POSTGRES_URL });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

async function openLoaded(dialect: Dialect, people: readonly PersonRow[]): Promise<Loaded> {
  const loaded =
    dialect === 'postgres'
      ? await swedishPostgres()
      : { handle: openDatabase('sqlite::memory:'), close: async () => undefined };
  try {
    await migrateToLatest(loaded.handle.db);
    await loaded.handle.db.transaction().execute(async (trx) => {
      await insertPeopleRows(trx, people);
    });
  } catch (error) {
    await loaded.close();
    throw error;
  }
  return {
    handle: loaded.handle,
    close: async () => {
      await loaded.handle.close().catch(() => undefined);
      await loaded.close();
    },
  };
}

async function allPages(handle: DatabaseHandle, filter: PeopleFilter, limit: number): Promise<SignedInPerson[]> {
  const rows: SignedInPerson[] = [];
  let after: PeoplePageCursor | null = null;
  for (let page = 0; page < 1000; page++) {
    const result = await searchPeopleRows(handle.db, filter, { limit, after, now: NOW });
    rows.push(...result.rows);
    if (!result.next) return rows;
    after = result.next;
  }
  throw new Error('paging did not end');
}

describe.each(DIALECTS)('directory search gives the same answers on every database (%s)', (dialect) => {
  const people = buildPeople();
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await openLoaded(dialect, people);
  });
  afterAll(async () => {
    await loaded?.close();
  });

  it('the test data spans many scripts, edge names and every filter value', () => {
    expect(people.length).toBeGreaterThanOrEqual(300);
    for (const probe of ['å', 'ä', 'م', 'ễ', '王', 'ñ', 'ς', '%', '_', "'", '"', '\\']) {
      expect(
        people.some((p) => p.search_text.includes(probe)),
        probe,
      ).toBe(true);
    }
    // The names' code-point order is not the Swedish one (Z before Å, upper before lower case).
    const names = [...people].sort(byNameThenId).map((p) => p.name);
    expect(names.indexOf('ZZ Top')).toBeLessThan(names.findIndex((n) => n.startsWith('Å')));
    expect(names.indexOf('ZZ Top')).toBeLessThan(names.indexOf('émile zola'));
  });

  it.each(ALL_FILTERS.map((filter) => [JSON.stringify(filter), filter] as const))(
    '%s: same people, same order',
    async (_label, filter) => {
      const expected = expectedMatches(people, filter).map(label);
      const { rows } = await searchPeopleRows(loaded.handle.db, filter, { limit: 400, after: null, now: NOW });
      expect(rows.map(label)).toEqual(expected);
      // A page of the directory never carries a password hash, not even to the code that renders it.
      expect(rows.filter((row) => 'password_hash' in row)).toEqual([]);
      const counted = await countPeople(loaded.handle.db, filter, { cap: 10_000, now: NOW });
      expect(counted).toEqual({ count: expected.length, capped: false });
    },
  );

  it(
    'keyset paging through names with ties, accents and ' + 'several scripts gives every person once, in order',
    async () => {
      for (const filter of [{}, { q: 'an' }, { q: 'anna svensson' }, { status: 'unclaimed' as const }]) {
        const expected = expectedMatches(people, filter).map(label);
        expect((await allPages(loaded.handle, filter, 7)).map(label)).toEqual(expected);
        expect((await allPages(loaded.handle, filter, 1)).map(label)).toEqual(expected);
      }
    },
  );

  it('department and location menus come in code-point order', async () => {
    const sorted = (values: (string | null)[]): string[] =>
      [...new Set(values.filter((v): v is string => v !== null))].sort((a, b) =>
        Buffer.compare(Buffer.from(a), Buffer.from(b)),
      );
    expect(await listFacets(loaded.handle.db)).toEqual({
      departments: sorted(people.map((p) => p.department)),
      locations: sorted(people.map((p) => p.location)),
    });
  });
});

describe.each(DIALECTS)('input no stored text can hold is answered alike over HTTP (%s)', (dialect) => {
  it('a NUL in a search, a filter or a paging cursor finds nobody or is refused, never a 500', async () => {
    const context = await createTestContext(dialect);
    const api = await createTestApi(context);
    try {
      const created = await api.app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers: api.admin,
        payload: { name: 'Anna Nul', employeeId: 'N1' },
      });
      expect(created.statusCode).toBe(201);
      for (const query of ['q=an%00na', 'q=%00', 'department=a%00', 'location=%00']) {
        const response = await api.app.inject({ method: 'GET', url: `/api/v1/people?${query}`, headers: api.admin });
        expect(response.statusCode, query).toBe(200);
        expect(response.json().items, query).toEqual([]);
      }
      const cursor = Buffer.from(JSON.stringify(['Anna\u0000', 'x'])).toString('base64url');
      const paged = await api.app.inject({ method: 'GET', url: `/api/v1/people?cursor=${cursor}`, headers: api.admin });
      expect(paged.statusCode).toBe(400);
      expect(paged.json().error.code).toBe('validation_failed');
    } finally {
      await api.app.close();
      await context.close();
    }
  });
});

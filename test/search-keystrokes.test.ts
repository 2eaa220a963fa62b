// Search as it is typed (issue 17), at a size where both orders and both query plans happen:
// 10,000 people in several scripts, every fragment a person types from the first letter on
// (common and rare pairs, digits, email parts, three letters and more), with and without
// filters, paged to the end with the keyset cursor and compared with a plain scan in JavaScript.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import type { Dialect } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { PersonCodeState, PersonRow, PersonStatus } from '../src/db/schema.js';
import { insertPeopleRows } from './helpers/people.js';
import { codeStateOf, searchTextOf, type SignedInPerson } from '../src/people/person.js';
import {
  countPeople,
  NAME_ORDER_LIMIT,
  searchPeopleRows,
  type PeopleFilter,
  type PeoplePageCursor,
} from '../src/people/people.store.js';
import { DIALECTS, freshPostgresSchema } from './helpers/deps.js';

const NOW = Date.UTC(2026, 5, 1, 9, 0, 0);
const DAY = 24 * 60 * 60 * 1000;
const PEOPLE = 10_000;

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GIVEN = ['Anna', 'Erik', 'Åsa', 'Maria', 'Johan', 'Aino', 'Mohammed', 'محمد', 'Hodan', 'Łukasz', 'Hương'];
const MORE_GIVEN = ['José', 'Zeynep', 'Xu', 'Qiang', 'Öznur', 'Sven', 'Björn', 'Fatima', 'Nguyệt', 'Elif'];
const FAMILY = ['Svensson', 'Andersson', 'Lind', 'Berg', 'Virtanen', 'Nguyễn', 'Kowalski', 'Ahmed', 'حسن'];
const MORE_FAMILY = ["O'Brien", 'Zzaman', 'García-López', 'Yılmaz', 'Zazzi', 'Öberg', 'Tesfaye', 'Wiśniewski'];
const CHINESE = ['王秀英', '李建国', '张伟', '欧阳娜', '陈静'];

function idOf(index: number): string {
  // Ids in insertion order, as UUIDv7 makes them: newest first is descending id (and rowid).
  return `01900000-0000-7000-8000-${index.toString(16).padStart(12, '0')}`;
}

function buildPeople(): PersonRow[] {
  const random = mulberry32(17);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const people: PersonRow[] = [];
  for (let i = 0; i < PEOPLE; i++) {
    const name =
      random() < 0.05
        ? pick(CHINESE)
        : `${pick(random() < 0.7 ? GIVEN : MORE_GIVEN)} ${pick(random() < 0.7 ? FAMILY : MORE_FAMILY)}`;
    const slug = name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z]+/g, '.')
      .replace(/^\.|\.$/g, '');
    const roll = random();
    // Deactivated people are rare (about 1%), as are used codes: the filters' side drives then.
    const status: PersonStatus = roll < 0.01 ? 'deactivated' : roll < 0.3 ? 'active' : 'unclaimed';
    const codeRoll = random();
    const codeState: PersonCodeState =
      codeRoll < 0.005 ? 'used' : codeRoll < 0.4 ? 'active' : codeRoll < 0.45 ? 'deactivated' : 'none';
    const row: PersonRow = {
      id: idOf(i),
      name,
      username: status === 'active' ? `${slug || 'p'}${i}` : null,
      email: random() < 0.3 ? `${slug || 'p'}.${i}@nordhandel.example` : null,
      employee_id: `E${String(100000 + i).padStart(7, '0')}`,
      department: null,
      location: null,
      title: null,
      role: 'member',
      status,
      password_hash: null,
      search_text: '',
      code_state: codeState,
      code_expires_at: codeState === 'active' ? NOW + (random() < 0.5 ? -DAY : 30 * DAY) : null,
      failed_sign_ins: 0,
      last_failed_sign_in_at: null,
      created_at: NOW - DAY,
      updated_at: NOW - DAY,
      claimed_at: null,
      last_sign_in_at: null,
      deactivated_at: null,
    };
    row.search_text = searchTextOf(row);
    people.push(row);
  }
  return people;
}

/** The rule in plain words: 3+ characters anywhere; 1–2 at the start of a word. */
// Words are split at spaces and ASCII punctuation.
function plainMatch(text: string, q: string): boolean {
  if ([...q].length >= 3) return text.includes(q);
  return text.split(/[\x00-\x2f\x3a-\x60\x7b-\x7f]+/).some((word) => word !== '' && word.startsWith(q));
}

function plainScan(people: readonly PersonRow[], filter: PeopleFilter): PersonRow[] {
  const q = filter.q?.normalize('NFKC').toLowerCase().trim() ?? '';
  return people.filter(
    (p) =>
      (q === '' || plainMatch(p.search_text, q)) &&
      (filter.hasEmail === undefined || (p.email !== null) === filter.hasEmail) &&
      (!filter.status || p.status === filter.status) &&
      (!filter.codeState || codeStateOf(p, NOW) === filter.codeState),
  );
}

const byName = (a: PersonRow, b: PersonRow): number =>
  Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)) || Buffer.compare(Buffer.from(a.id), Buffer.from(b.id));
const newestFirst = (a: PersonRow, b: PersonRow): number => Buffer.compare(Buffer.from(b.id), Buffer.from(a.id));

const FRAGMENTS = ['a', 'e', 'å', 'ö', 'z', 'x', 'م', '王', 'an', 'be', 'zz', 'qx', 'xu', 'e1', '1', '12', '王秀'];
const MORE = ['ng', 'ya', "o'", '@', 'ann', 'son', 'e00012', 'nordh', 'zazz', '秀英', 'brien', 'lópez'];
const FILTERS: PeopleFilter[] = [
  {},
  { status: 'deactivated' },
  { status: 'active' },
  { codeState: 'used' },
  { codeState: 'expired' },
  { hasEmail: true, status: 'unclaimed' },
];

async function allPages(
  handle: DatabaseHandle,
  filter: PeopleFilter,
): Promise<{ rows: SignedInPerson[]; order: string; pages: number }> {
  const rows: SignedInPerson[] = [];
  let after: PeoplePageCursor | null = null;
  let order = '';
  for (let page = 1; page < 1000; page++) {
    const result = await searchPeopleRows(handle.db, filter, { limit: 50, after, now: NOW });
    if (page === 1) order = result.order;
    expect(result.order, 'every page keeps the first page order').toBe(order);
    expect(result.rows.length).toBeLessThanOrEqual(50);
    rows.push(...result.rows);
    if (!result.next) return { rows, order, pages: page };
    expect(result.rows.length, 'a page before the last is full').toBe(50);
    after = result.next;
  }
  throw new Error('paging did not end');
}

describe.each(DIALECTS)('search as it is typed, 10,000 people, against a plain scan (%s)', (dialect: Dialect) => {
  const people = buildPeople();
  let handle: DatabaseHandle;
  let drop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (dialect === 'postgres') {
      const schema = await freshPostgresSchema();
      handle = openDatabase(schema.url, { poolSize: 2 });
      drop = schema.drop;
    } else handle = openDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    await handle.db.transaction().execute((trx) => insertPeopleRows(trx, people));
  }, 120_000);

  afterAll(async () => {
    await handle?.close();
    await drop();
  });

  it('the people hold every shape the queries need', () => {
    for (const filter of [{ q: 'a' }, { q: 'zz' }, { status: 'deactivated' as const }, { codeState: 'used' as const }])
      expect(plainScan(people, filter).length, JSON.stringify(filter)).toBeGreaterThan(0);
    // Both orders happen: "a" matches far more than NAME_ORDER_LIMIT, "zz" far fewer.
    expect(plainScan(people, { q: 'a' }).length).toBeGreaterThan(NAME_ORDER_LIMIT);
    expect(plainScan(people, { status: 'deactivated' }).length).toBeLessThan(NAME_ORDER_LIMIT);
  });

  it.each([...FRAGMENTS, ...MORE])(
    '"%s" with each filter: every match once, page by page, in the order announced',
    async (q) => {
      for (const base of FILTERS) {
        const filter = { ...base, q };
        const expected = plainScan(people, filter);
        const { rows, order } = await allPages(handle, filter);
        const label = JSON.stringify(filter);
        // Name order whenever the text or the other filters match at most NAME_ORDER_LIMIT.
        const textMatches = plainScan(people, { q }).length;
        const fieldMatches = plainScan(people, base).length;
        const small =
          textMatches <= NAME_ORDER_LIMIT || (Object.keys(base).length > 0 && fieldMatches <= NAME_ORDER_LIMIT);
        expect(order, label).toBe(small ? 'name' : 'newest');
        const sorted = [...expected].sort(order === 'name' ? byName : newestFirst);
        expect(
          rows.map((p) => p.id),
          label,
        ).toEqual(sorted.map((p) => p.id));
        const counted = await countPeople(handle.db, filter, { cap: 10_000, now: NOW });
        expect(counted, label).toEqual({ count: expected.length, capped: false });
      }
    },
    120_000,
  );
});

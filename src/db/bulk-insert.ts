// Many rows into one table, fast: multi-row inserts with a fixed number of rows per statement,
// compiled here rather than by Kysely. A CSV import of 100,000 people spent more time in Kysely
// compiling its 200-row inserts and in SQLite preparing them (each text was new, and too long
// for the statement cache) than in the inserts' own index work. Now the text repeats: SQLite's
// statement cache (database.ts) prepares each shape once. The rows are values only, never SQL.
import { CompiledQuery } from 'kysely';
import type { Database, Db } from './database.js';
import { dialectOf } from './dialect.js';

/** Under database.ts's CACHEABLE_SQL_LENGTH (4,000), so SQLite keeps the statement prepared. */
const SQLITE_STATEMENT_CHARS = 3_400;
/** PostgreSQL binds at most 65,535 parameters per statement. */
const POSTGRES_PARAMETERS = 30_000;

/**
 * Inserts `rows` (every one with every column named) in the caller's transaction. SQLite: as
 * many rows per statement as fit the cached length, the rest in statements of 32, 16, … 1 rows,
 * so a table needs a handful of statement texts whatever the count.
 */
export async function insertRows<T extends keyof Database & string>(
  db: Db,
  table: T,
  columns: readonly (keyof Database[T] & string)[],
  rows: readonly Database[T][],
  /** A row whose `upsertOn` column is taken replaces that row's other columns (the rows' keys must differ). */
  options: { upsertOn?: keyof Database[T] & string } = {},
): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
  const key = options.upsertOn;
  const tail = key
    ? ` on conflict ("${key}") do update set ${columns
        .filter((c) => c !== key)
        .map((c) => `"${c}" = excluded."${c}"`)
        .join(', ')}`
    : '';
  const full = postgres
    ? Math.max(1, Math.floor(POSTGRES_PARAMETERS / columns.length))
    : Math.max(1, Math.floor((SQLITE_STATEMENT_CHARS - head.length - tail.length) / (columns.length * 2 + 2)));
  const tuple = `(${columns.map(() => '?').join(',')})`;
  const textOf = (count: number): string => {
    if (!postgres) return head + Array.from({ length: count }, () => tuple).join(',') + tail;
    let n = 0;
    const tuples = Array.from({ length: count }, () => `(${columns.map(() => `$${++n}`).join(',')})`);
    return head + tuples.join(',') + tail;
  };
  const texts = new Map<number, string>();
  let at = 0;
  while (at < rows.length) {
    const left = rows.length - at;
    // PostgreSQL does not keep unnamed statements, so any count will do; SQLite reuses the shapes.
    const count = postgres || left >= full ? Math.min(left, full) : 2 ** Math.floor(Math.log2(left));
    let text = texts.get(count);
    if (text === undefined) {
      text = textOf(count);
      texts.set(count, text);
    }
    const parameters: unknown[] = [];
    for (let i = at; i < at + count; i++) {
      const row = rows[i]!;
      for (const column of columns) parameters.push(row[column] ?? null);
    }
    await db.executeQuery(CompiledQuery.raw(text, parameters));
    at += count;
  }
}

// Hot statements, built once. Building and compiling a Kysely query costs more than SQLite takes to
// run it: about 40 µs of JavaScript for the code check's lookup against 10 µs in SQLite, and 100 µs
// for a counter's upsert. A statement that runs on every code check or sign-in is therefore built
// and compiled once per dialect, with placeholders where its values go, and run from then on with
// the values of the call (the SQLite driver keeps its prepared statement too: database.ts).
import type { CompiledQuery, QueryResult } from 'kysely';
import type { Db } from './database.js';
import { dialectOf, type Dialect } from './dialect.js';

/** Where the value of one argument (or of one item of an array argument) goes. */
class Placeholder {
  constructor(
    readonly argument: number,
    readonly item: number | null,
  ) {}
}

interface Template {
  compiled: CompiledQuery;
  /** For each parameter of the compiled query: the placeholder it came from, or a constant. */
  parameters: (Placeholder | { constant: unknown })[];
}

/**
 * PostgreSQL: the name each statement compiled here is kept under on the server, by its text.
 * The connection pool (database.ts) sends these as named statements, which PostgreSQL parses and
 * plans once per connection; any other statement is unnamed, parsed and planned on every run.
 */
const serverStatementNames = new Map<string, string>();

/** The server-side name of a statement compiled here (PostgreSQL), or undefined for any other. */
export function serverStatementNameOf(text: string): string | undefined {
  return serverStatementNames.get(text);
}

/**
 * A statement built by `build` from placeholders on first use (per dialect, and per length of each
 * array argument: `in (…)` lists), then run with the arguments of each call. `build` must use its
 * arguments only as values (in `where`, `values`, `set`, sql`${…}`), never look at them, and never
 * put them in `sql.lit` or an identifier: it sees placeholders, not the values.
 */
export function prepared<A extends unknown[], R>(
  build: (db: Db, ...args: A) => { compile(): CompiledQuery<R> },
): (db: Db, ...args: A) => Promise<QueryResult<R>> {
  const templates = new Map<string, Template>();
  return async (db, ...args) => {
    const dialect: Dialect = dialectOf(db);
    const key = `${dialect}:${args.map((arg) => (Array.isArray(arg) ? arg.length : '-')).join(',')}`;
    let template = templates.get(key);
    if (!template) {
      const placeholders = args.map((arg, argument) =>
        Array.isArray(arg) ? arg.map((_, item) => new Placeholder(argument, item)) : new Placeholder(argument, null),
      ) as A;
      const compiled = build(db, ...placeholders).compile();
      template = {
        compiled,
        parameters: compiled.parameters.map((value) => (value instanceof Placeholder ? value : { constant: value })),
      };
      templates.set(key, template);
      if (dialect === 'postgres' && !serverStatementNames.has(compiled.sql))
        serverStatementNames.set(compiled.sql, `keyslip_hot_${serverStatementNames.size + 1}`);
    }
    const parameters = template.parameters.map((slot) => {
      if (!(slot instanceof Placeholder)) return slot.constant;
      const arg = args[slot.argument];
      return slot.item === null ? arg : (arg as unknown[])[slot.item];
    });
    return db.executeQuery<R>({ ...template.compiled, parameters });
  };
}

/**
 * Every column of a table, by name, for a statement kept prepared on PostgreSQL to select instead
 * of `*`: a column added by a later migration (another instance upgraded first) would change the
 * shape of the rows of a kept `select *`, which PostgreSQL refuses until the connection closes
 * ("cached plan must not change result type"). `everyColumn<Table>()([...])` keeps the list's
 * literal types, and the type checker names any column it leaves out.
 */
export const everyColumn =
  <T>() =>
  <const C extends readonly (keyof T & string)[]>(
    columns: C & ([Exclude<keyof T, C[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, C[number]> }),
  ): C =>
    columns;

/** At most this many texts are named by executeKept (each connection keeps those it ran). */
const KEPT_STATEMENTS_MAX = 200;

/**
 * Runs a statement built at run time as a named one on PostgreSQL, as those `prepared` compiles:
 * each connection parses and plans it once per text, and after five runs PostgreSQL may keep one
 * plan for all values. Only for statements whose plan their shape fixes whatever their values
 * (a walk of an index under a literal LIMIT), made in a bounded number of shapes; past
 * KEPT_STATEMENTS_MAX texts, statements run unnamed. SQLite runs it as any other.
 */
export async function executeKept<R>(db: Db, query: CompiledQuery<R>): Promise<R[]> {
  if (dialectOf(db) === 'postgres' && !serverStatementNames.has(query.sql) && keptStatements < KEPT_STATEMENTS_MAX) {
    keptStatements += 1;
    serverStatementNames.set(query.sql, `keyslip_kept_${keptStatements}`);
  }
  return (await db.executeQuery(query)).rows;
}

let keptStatements = 0;

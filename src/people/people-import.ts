// CSV import: streamed in chunks, each chunk one transaction with the audit entries of its rows;
// bad rows are reported by line and skipped, good rows kept. A row updates the person with the
// same username, else the same employee id; otherwise it creates one.
// On SQLite the people it creates wait in the search backlog (migration 0012) and are put into
// the search indexes in bulk, every SEARCH_INDEX_AFTER_ROWS created and when the import ends:
// per-row index triggers cost three times as much. Until then a search does not find them.
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { Options } from 'csv-parse';
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { uniqueViolationColumn } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import type { PeopleTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, recordAuditEvents, type Actor, type AuditEventInput } from '../audit/audit.js';
import type { Locale } from '../lib/messages.js';
import { SeenKeys } from '../lib/seen-keys.js';
import { describeProblems, type FieldProblem } from '../problems.js';
import { AREA_SEPARATOR, cleanAreaName } from '../areas/area.js';
import { setAreasOfPeopleIn } from '../areas/areas.service.js';
import { searchTextOf, validatePersonInput, type PersonInput, type ValidPersonFields } from './person.js';
import { assertAnotherAdminRemains, newPersonRow, tracedChanges } from './people.service.js';
import {
  deferSearchIndexing,
  indexSearchBacklog,
  insertPeople,
  keepTemporaryFilesInMemory,
  refreshPeopleStatistics,
  updatePersonFields,
} from './people.store.js';

export interface ImportReport {
  created: number;
  updated: number;
  /** Rows that matched a person and changed nothing: not written, not audited. */
  unchanged: number;
  /** Line 0 is about the file as a whole. The problems are codes: see reportInWords. */
  errors: { line: number; problems: FieldProblem[] }[];
}

/** The report with each line's problems in words, as the API, the page and the CLI show it. */
export function reportInWords(
  report: ImportReport,
  locale: Locale,
): { created: number; updated: number; unchanged: number; errors: { line: number; message: string }[] } {
  const errors = report.errors.map((error) => ({
    line: error.line,
    message: describeProblems(locale, error.problems),
  }));
  return { created: report.created, updated: report.updated, unchanged: report.unchanged, errors };
}

const HEADER_ALIASES: Record<string, keyof PersonInput> = {
  name: 'name',
  fullname: 'name',
  username: 'username',
  email: 'email',
  emailaddress: 'email',
  employeeid: 'employeeId',
  employeenumber: 'employeeId',
  department: 'department',
  location: 'location',
  title: 'title',
  role: 'role',
};

/** Header cells are matched loosely: "Employee ID", "employee_id" and "employeeId" are one column. */
function headerKey(cell: string): keyof PersonInput | null {
  return (
    HEADER_ALIASES[
      cell
        .normalize('NFKC')
        .toLowerCase()
        .replace(/[\s_-]/g, '')
    ] ?? null
  );
}

/**
 * Rows per transaction. Larger chunks write each index page they touch once for more rows
 * (1,000 → 5,000 saved about 15% of the CPU time); this many take about 150 ms, and other
 * requests (which share SQLite's one connection and write lock, and the event loop) wait at
 * most about that long: the import yields between chunks.
 */
const CHUNK = 2500;
/** People created before the import puts the backlog into the search indexes (SQLite). */
const SEARCH_INDEX_AFTER_ROWS = 20_000;
/** People indexed per transaction when the backlog is put into the search indexes. */
const SEARCH_INDEX_STEP = 10_000;
/** An import that writes this many rows refreshes the database's statistics on people. */
const STATISTICS_AFTER_ROWS = 1000;
const MAX_REPORTED_ERRORS = 1000;

interface PendingRow {
  line: number;
  fields: ValidPersonFields;
  /** The row's areas (SPEC §9) when the file has an `areas` column; undefined leaves them alone. */
  areas?: string[];
}

/** The header cell of the areas column: "areas" (or "area"), matched loosely as the others. */
function isAreasHeader(cell: string): boolean {
  const key = cell
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_-]/g, '');
  return key === 'areas' || key === 'area';
}

/**
 * The area names of one `areas` cell: separated by "|", each cleaned; an empty cell is no area
 * (the person's areas are cleared). A name that is not valid is the row's problem.
 */
function areasOfCell(cell: string | undefined): { names: string[] } | { problem: FieldProblem } {
  const names: string[] = [];
  for (const part of (cell ?? '').split(AREA_SEPARATOR)) {
    if (part.trim() === '') continue;
    const name = cleanAreaName(part);
    if (name === null) return { problem: { field: 'areas', code: 'import_area_invalid', params: { value: part } } };
    names.push(name);
  }
  return { names };
}

/**
 * The line that already used one of this row's identities, as a report message, or null (and the
 * row's identities are remembered). Without it a second row for one person would silently become
 * an "update" of the first. Costs one map entry per identity: about 100 bytes per row.
 */
function duplicateInFile(seen: SeenKeys, fields: ValidPersonFields, line: number): FieldProblem | null {
  const keys: [string, string | null | undefined][] = [
    ['username', fields.username],
    ['employeeId', fields.employee_id],
    ['email', fields.email],
  ];
  for (const [label, value] of keys) {
    const earlier = value ? seen.get(`${label}:${value}`) : undefined;
    if (value && earlier !== undefined) return { field: label, code: 'import_duplicate', params: { value, earlier } };
  }
  for (const [label, value] of keys) if (value) seen.set(`${label}:${value}`, line);
  return null;
}

/**
 * Spreadsheets in comma-decimal locales (Swedish Excel among them) save "CSV" with semicolons.
 * The header row decides: semicolons and no comma there mean a semicolon file. Only the first
 * line is looked at; the rest of the input streams on untouched.
 */
async function detectDelimiter(input: Readable): Promise<{ delimiter: ',' | ';'; stream: Readable }> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let size = 0;
  for (;;) {
    const joined = Buffer.concat(head);
    if (joined.includes(10) || size > 64 * 1024) break;
    const next = await iterator.next();
    if (next.done) break;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    size += chunk.length;
  }
  const firstLine = Buffer.concat(head).toString('utf8').split(/\r?\n/)[0] ?? '';
  const delimiter = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  const stream = Readable.from(
    (async function* () {
      yield* head;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    })(),
  );
  return { delimiter, stream };
}

/** After each committed chunk: the rows read so far (imported or refused) and the file line reached. */
export type ImportProgress = (progress: { rows: number; line: number }) => void;

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * The records of a CSV stream, one input chunk at a time, then the parser's error if it failed.
 * Records are taken as csv-parse makes them (`on_record`), never from its readable buffer: an
 * async iterator over the parser throws as soon as it fails and, on Node 22 and later, drops the
 * records it had parsed but not yet handed over — up to a chunk of rows the import would then
 * silently miss before the line where the file broke. Memory stays bounded: the next chunk is
 * written only when the records of this one have been taken.
 */
async function* csvRecordsOf(source: Readable, options: Options): AsyncGenerator<CsvRecord> {
  // Loaded with the first import, not with the server: most starts never parse a CSV file.
  const { parse } = await import('csv-parse');
  const ready: CsvRecord[] = [];
  const parser = parse({
    ...options,
    on_record: (record: string[], context) => {
      ready.push({ record, info: { lines: context.lines } });
      return null;
    },
  });
  let failure: unknown = null;
  const ended = new Promise<void>((resolve) => {
    parser.once('end', resolve);
    parser.once('error', (error) => {
      failure ??= error;
      resolve();
    });
  });
  parser.resume(); // nothing is pushed; flowing lets 'end' arrive
  const take = function* (): Generator<CsvRecord> {
    for (let i = 0; i < ready.length; i++) yield ready[i]!;
    ready.length = 0;
  };
  for await (const chunk of source) {
    await new Promise<void>((resolve) =>
      parser.write(chunk, (error) => {
        if (error) failure ??= error;
        resolve();
      }),
    );
    yield* take();
    if (failure) throw failure;
  }
  parser.end();
  await ended;
  yield* take();
  if (failure) throw failure;
}

/** Imports running in this process: the first turns SQLite's temporary files to memory, the last back. */
let importsRunning = 0;

/** `onProgress` may throw to stop the import: the chunks already committed stay imported. */
export async function importPeople(
  deps: Deps,
  input: Readable,
  actor: Actor,
  onProgress?: ImportProgress,
): Promise<ImportReport> {
  importsRunning += 1;
  try {
    if (importsRunning === 1) await keepTemporaryFilesInMemory(deps.db, true);
    return await importRows(deps, input, actor, onProgress);
  } finally {
    importsRunning -= 1;
    // The people already committed become searchable, whatever ended the import.
    await indexWaitingPeople(deps.db);
    if (importsRunning === 0) await keepTemporaryFilesInMemory(deps.db, false);
  }
}

async function importRows(
  deps: Deps,
  input: Readable,
  actor: Actor,
  onProgress?: ImportProgress,
): Promise<ImportReport> {
  const report: ImportReport = { created: 0, updated: 0, unchanged: 0, errors: [] };
  let errorCount = 0;
  const addError = (line: number, problems: FieldProblem[]): void => {
    errorCount += 1;
    if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push({ line, problems });
  };
  const { delimiter, stream } = await detectDelimiter(input);
  const records = csvRecordsOf(stream, {
    delimiter,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    max_record_size: 64 * 1024,
  });
  let columns: (keyof PersonInput | null)[] | null = null;
  let areasColumn = -1;
  let pending: PendingRow[] = [];
  const seen = new SeenKeys();
  let broken: { line: number; message: string } | null = null;

  let createdSinceIndexed = 0;
  const importChunkAndIndex = async (rows: PendingRow[]): Promise<void> => {
    const before = report.created;
    await importChunk(deps, rows, report, addError, actor);
    createdSinceIndexed += report.created - before;
    if (createdSinceIndexed >= SEARCH_INDEX_AFTER_ROWS) {
      await indexWaitingPeople(deps.db);
      createdSinceIndexed = 0;
    }
    // Other requests get their turn between chunks. Without this the import never yielded while
    // the request's body was buffered ahead of it: a sign-in waited for the whole import (6 s at
    // 100,000 people), not for one chunk.
    await new Promise((resolve) => setImmediate(resolve));
  };

  try {
    for await (const record of records) {
      const line = record.info.lines;
      if (columns === null) {
        columns = record.record.map(headerKey);
        areasColumn = record.record.findIndex(isAreasHeader);
        if (!columns.includes('name'))
          throw new AppError('invalid_csv', { message: 'The header row needs a "name" column.' });
        if (!columns.some((c) => c === 'username' || c === 'email' || c === 'employeeId')) {
          throw new AppError('invalid_csv', {
            message: 'The header row needs a "username", "email" or "employeeId" column.',
          });
        }
        continue;
      }
      const personInput: PersonInput = {};
      columns.forEach((column, index) => {
        const value = record.record[index];
        if (column && value !== undefined && value !== '') (personInput as Record<string, string>)[column] = value;
      });
      const checked = validatePersonInput(personInput, { creating: true });
      if (!checked.ok) {
        addError(line, checked.problems);
        continue;
      }
      const areas = areasColumn >= 0 ? areasOfCell(record.record[areasColumn]) : null;
      if (areas && 'problem' in areas) {
        addError(line, [areas.problem]);
        continue;
      }
      const duplicate = duplicateInFile(seen, checked.fields, line);
      if (duplicate) {
        addError(line, [duplicate]);
        continue;
      }
      pending.push({ line, fields: checked.fields, ...(areas ? { areas: areas.names } : {}) });
      if (pending.length >= CHUNK) {
        await importChunkAndIndex(pending);
        onProgress?.({ rows: report.created + report.updated + report.unchanged + errorCount, line });
        pending = [];
      }
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    // csv-parse's codes are not all CSV_… (INVALID_OPENING_QUOTE is not), so match its class.
    const { CsvError } = await import('csv-parse');
    if (!(error instanceof CsvError)) throw error;
    // Nothing written yet: the file is refused as a whole and nothing changes. Once a chunk is
    // committed a refusal would hide a change, so the rows read so far are kept and the report
    // says where the file broke.
    if (report.created + report.updated === 0)
      throw new AppError('invalid_csv', { message: `The file is not valid CSV: ${(error as Error).message}` });
    broken = { line: (error as { lines?: number }).lines ?? 0, message: (error as Error).message };
  }
  if (columns === null) throw new AppError('invalid_csv', { message: 'The file is empty: it needs a header row.' });
  if (pending.length > 0) await importChunk(deps, pending, report, addError, actor);
  onProgress?.({
    rows: report.created + report.updated + report.unchanged + errorCount,
    line: pending.at(-1)?.line ?? 0,
  });
  if (broken) addError(broken.line, [{ field: 'file', code: 'import_csv_broken', params: { detail: broken.message } }]);

  // The summary; each person created or changed has an entry of their own, written with the row.
  const now = deps.clock.now();
  await deps.db.transaction().execute((trx) =>
    recordAuditEvent(trx, {
      action: 'people.imported',
      actor,
      details: { created: report.created, updated: report.updated, unchanged: report.unchanged, errors: errorCount },
      at: now,
    }),
  );
  if (report.created + report.updated >= STATISTICS_AFTER_ROWS) {
    await refreshPeopleStatistics(deps.db).catch((error: unknown) =>
      deps.log.warn(
        { err: { message: (error as Error).message } },
        'could not refresh the statistics on people after an import',
      ),
    );
  }
  if (errorCount > report.errors.length) {
    const count = errorCount - report.errors.length;
    report.errors.push({ line: 0, problems: [{ field: 'file', code: 'import_more_errors', params: { count } }] });
  }
  return report;
}

/**
 * Puts the people waiting in the search backlog (SQLite) into the search indexes,
 * SEARCH_INDEX_STEP at a time, each step a transaction of its own. Also run by the server's
 * housekeeping, for a backlog an import stopped by a crash left open.
 */
export async function indexWaitingPeople(db: Db): Promise<void> {
  for (;;) {
    const waiting = await db.transaction().execute((trx) => indexSearchBacklog(trx, SEARCH_INDEX_STEP));
    if (!waiting) return;
    // Between two steps other requests get their turn (the steps alone would never yield).
    await new Promise((resolve) => setImmediate(resolve));
  }
}

type ImportError = ImportReport['errors'][number];

/** What an import compares and writes of a person it may update (not the password hash, codes, times). */
const MATCH_COLUMNS = [
  'id',
  'name',
  'username',
  'email',
  'employee_id',
  'department',
  'location',
  'title',
  'role',
  'search_text',
] as const satisfies readonly (keyof PeopleTable)[];
type Existing = Pick<PeopleTable, (typeof MATCH_COLUMNS)[number]>;

/**
 * The people a chunk's rows name (by username, employee id or email), read without a lock. The
 * values go in as three parameters (a JSON array on SQLite, an array on PostgreSQL), so the
 * statement's text is the same for every chunk: SQLite prepares it once (database.ts keeps it).
 * With the values in the text, each chunk's statement was new, too long to be kept, and held its
 * compiled form (thousands of values) in native memory until the garbage collector freed it.
 */
async function existingPeopleOf(trx: Db, rows: readonly PendingRow[]): Promise<Existing[]> {
  const usernames: string[] = [];
  const employeeIds: string[] = [];
  const emails: string[] = [];
  for (const { fields } of rows) {
    if (fields.username) usernames.push(fields.username);
    if (fields.employee_id) employeeIds.push(fields.employee_id);
    if (fields.email) emails.push(fields.email);
  }
  if (usernames.length + employeeIds.length + emails.length === 0) return [];
  const columns = sql.join(MATCH_COLUMNS.map((column) => sql.ref(column)));
  const anyOf =
    dialectOf(trx) === 'postgres'
      ? (values: string[]) => sql`= any(${values}::text[])`
      : (values: string[]) => sql`in (select value from json_each(${JSON.stringify(values)}))`;
  const { rows: people } = await sql<Existing>`select ${columns} from people
    where username ${anyOf(usernames)} or employee_id ${anyOf(employeeIds)} or email ${anyOf(emails)}`.execute(trx);
  return people;
}

async function importChunk(
  deps: Deps,
  rows: PendingRow[],
  report: ImportReport,
  addError: (line: number, problems: FieldProblem[]) => void,
  actor: Actor,
): Promise<void> {
  try {
    const result = await deps.db.transaction().execute((trx) => writeChunk(trx, rows, actor, deps.clock.now()));
    report.created += result.created;
    report.updated += result.updated;
    report.unchanged += result.unchanged;
    // Reported once the chunk is committed: a chunk redone row by row below must not report twice.
    for (const error of result.errors) addError(error.line, error.problems);
  } catch (error) {
    // A clash the pre-checks could not see (a concurrent write): redo the chunk row by row so
    // only the clashing rows are reported.
    if (uniqueViolationColumn(error) === null || rows.length === 1) throw error;
    for (const row of rows) {
      try {
        await importChunk(deps, [row], report, addError, actor);
      } catch (rowError) {
        const column = uniqueViolationColumn(rowError);
        if (column === null) throw rowError;
        const field = column === 'employee_id' ? 'employeeId' : column;
        addError(row.line, [{ field, code: 'import_in_use' }]);
      }
    }
  }
}

/**
 * Writes one chunk in the caller's transaction, with the rules of the single-person path: the
 * last admin is never demoted, identities stay unique, and every person created or changed gets
 * their own audit entry (the role and identifiers old → new) in the same transaction.
 */
async function writeChunk(
  trx: Db,
  rows: PendingRow[],
  actor: Actor,
  now: number,
): Promise<{ created: number; updated: number; unchanged: number; errors: ImportError[] }> {
  const errors: ImportError[] = [];
  const existing = await existingPeopleOf(trx, rows);
  const byUsername = new Map<string, Existing>();
  const byEmployeeId = new Map<string, Existing>();
  const byEmail = new Map<string, Existing>();
  const remember = (person: Existing): void => {
    if (person.username) byUsername.set(person.username, person);
    if (person.employee_id) byEmployeeId.set(person.employee_id, person);
    if (person.email) byEmail.set(person.email, person);
  };
  for (const person of existing) remember(person);
  const stored = new Set(existing.map((person) => person.id));
  const matchOf = (fields: ValidPersonFields): Existing | null =>
    (fields.username ? byUsername.get(fields.username) : undefined) ??
    (fields.employee_id ? byEmployeeId.get(fields.employee_id) : undefined) ??
    null;
  const changesOf = (match: Existing, fields: ValidPersonFields): string[] =>
    Object.keys(fields).filter(
      (key) => match[key as keyof Existing] !== (fields[key as keyof ValidPersonFields] ?? null),
    );
  // PostgreSQL: the people this chunk changes are locked (in id order) as the single update locks
  // its person, so a role read here is still the role when the row is written. Only those: a row
  // lock is a write on PostgreSQL, and most people of a re-import are unchanged. One that matches
  // nothing to change was read as it stood; writing nothing, the import simply came before any
  // change committed since.
  const locked = new Set<string>();
  const lockAndReread = async (ids: string[]): Promise<void> => {
    if (ids.length === 0) return;
    const fresh = await trx
      .selectFrom('people')
      .select(MATCH_COLUMNS)
      .where('id', 'in', ids)
      .orderBy('id')
      .forUpdate()
      .execute();
    // What was read without the lock gives way to what the lock found (changed, or gone, since).
    const lockedNow = new Set(ids);
    for (const index of [byUsername, byEmployeeId, byEmail])
      for (const [key, person] of index) if (lockedNow.has(person.id)) index.delete(key);
    for (const id of ids) locked.add(id);
    for (const person of fresh) remember(person);
  };
  const postgres = dialectOf(trx) === 'postgres';
  if (postgres) {
    const changing = new Set<string>();
    for (const { fields } of rows) {
      const match = matchOf(fields);
      if (match && changesOf(match, fields).length > 0) changing.add(match.id);
    }
    await lockAndReread([...changing]);
  }

  let inserts: PeopleTable[] = [];
  let created = 0;
  const writeInserts = async (): Promise<void> => {
    if (inserts.length === 0) return;
    if (created === 0) await deferSearchIndexing(trx);
    await insertPeople(trx, inserts);
    created += inserts.length;
    inserts = [];
  };
  const events: AuditEventInput[] = [];
  const areasOfRows: { personId: string; names: string[] }[] = [];
  let updated = 0;
  let unchanged = 0;
  for (const { line, fields, areas } of rows) {
    let match = matchOf(fields);
    // A stored person only this chunk's earlier rows made a match (not foreseen above): locked now.
    if (postgres && match && stored.has(match.id) && !locked.has(match.id) && changesOf(match, fields).length > 0) {
      await lockAndReread([match.id]);
      match = matchOf(fields);
    }
    const clash = (value: string | null | undefined, index: Map<string, Existing>): boolean => {
      if (!value) return false;
      const other = index.get(value);
      return other !== undefined && other.id !== match?.id;
    };
    const problems: FieldProblem[] = [];
    const belongsToOther = (field: string, value: string): FieldProblem => ({
      field,
      code: 'import_belongs_to_other',
      params: { value },
    });
    if (clash(fields.username, byUsername)) problems.push(belongsToOther('username', fields.username!));
    if (clash(fields.employee_id, byEmployeeId)) problems.push(belongsToOther('employeeId', fields.employee_id!));
    if (clash(fields.email, byEmail)) problems.push(belongsToOther('email', fields.email!));
    if (problems.length > 0) {
      errors.push({ line, problems });
      continue;
    }
    let row: Existing;
    if (match) {
      const changed = changesOf(match, fields);
      if (changed.length === 0) {
        // Unchanged as a person; their areas (a column of their own) may still change.
        unchanged += 1;
        if (areas) areasOfRows.push({ personId: match.id, names: areas });
        continue;
      }
      row = { ...match, ...fields };
      if (match.role === 'admin' && row.role !== 'admin') {
        // The rule of a single demotion, asked of the database as it stands in this transaction:
        // earlier rows' demotions count, and so do the admins this file creates (written first).
        await writeInserts();
        try {
          await assertAnotherAdminRemains(trx, match.id);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          errors.push({ line, problems: [{ field: 'role', code: 'import_last_admin' }] });
          continue;
        }
      }
      row.search_text = searchTextOf(row);
      // Only what changed is written: an unchanged search text leaves the search indexes alone.
      const changedFields = Object.fromEntries(changed.map((key) => [key, fields[key as keyof ValidPersonFields]]));
      const searchText = row.search_text === match.search_text ? undefined : row.search_text;
      await updatePersonFields(trx, match.id, changedFields, {
        ...(searchText === undefined ? {} : { searchText }),
        now,
      });
      updated += 1;
      const details = { changed, ...tracedChanges(match, row), source: 'import' };
      events.push({ action: 'person.updated', actor, personId: match.id, details, at: now });
    } else {
      const person = newPersonRow({ ...fields, name: fields.name! }, now);
      inserts.push(person);
      row = person;
      events.push({
        action: 'person.created',
        actor,
        personId: row.id,
        details: { role: row.role, source: 'import' },
        at: now,
      });
    }
    if (areas) areasOfRows.push({ personId: row.id, names: areas });
    // Later rows of the same chunk see this one, so duplicates inside a file are caught too.
    remember(row);
  }
  await writeInserts();
  await recordAuditEvents(trx, events);
  // After the people exist: areas are created on first use, each person's memberships replaced.
  await setAreasOfPeopleIn(trx, areasOfRows, actor, now, { source: 'import' });
  return { created, updated, unchanged, errors };
}

import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { findAreaByName } from '../areas/areas.service.js';
import { CLI_ACTOR } from '../audit/audit.js';
import { codesCsv, slipOptionsOf } from '../access-codes/batch-files.js';
import { readBatchSlips } from '../access-codes/batch-slips.js';
import { issueAccessCodes, readBatchCodePages } from '../access-codes/batches.service.js';
import { renderSlipsPdf } from '../access-codes/slips.pdf.js';
import type { PeopleFilter } from '../people/people.store.js';
import { applyPeopleFilter } from '../people/people.store.js';
import { Interrupted, interruptible, Progress, progressModeOf } from './progress.js';
import { EXIT, PROGRESS_OPTIONS, UsageError } from './usage.js';
import { withRuntime } from './with-runtime.js';

/** Issues a batch (everyone, or `--no-email`, a department, location or area) as CSV or PDF slips. */
export async function codesIssue(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'no-email': { type: 'boolean' },
      out: { type: 'string' },
      'lifetime-hours': { type: 'string' },
      lang: { type: 'string' },
      department: { type: 'string' },
      location: { type: 'string' },
      area: { type: 'string' },
      ...PROGRESS_OPTIONS,
    },
  });
  const out = values.out;
  const format =
    out === undefined
      ? 'csv'
      : out.toLowerCase().endsWith('.pdf')
        ? 'pdf'
        : out.toLowerCase().endsWith('.csv')
          ? 'csv'
          : null;
  if (format === null) throw new UsageError('--out must name a .csv or a .pdf file.');
  const locale = values.lang === 'sv' ? 'sv' : 'en';
  let lifetimeHours: number | undefined;
  if (values['lifetime-hours'] !== undefined) {
    lifetimeHours = Number(values['lifetime-hours']);
    if (!Number.isInteger(lifetimeHours) || lifetimeHours < 1)
      throw new UsageError('--lifetime-hours must be a whole number of hours.');
  }
  const filter: PeopleFilter = {};
  if (values['no-email']) filter.hasEmail = false;
  if (values.department) filter.department = values.department;
  if (values.location) filter.location = values.location;

  return withRuntime(async ({ deps }) => {
    if (values.area !== undefined) {
      // By name, as an operator knows it (compared folded: "store 12" finds "Store 12").
      const area = await findAreaByName(deps.db, values.area);
      if (!area) throw new UsageError(`There is no area named "${values.area}".`);
      filter.area = area.id;
    }
    const mode = progressModeOf(values);
    // The same people the issue selects; counted first so the progress line has a total.
    const counted = await applyPeopleFilter(deps.db, deps.db.selectFrom('people'), filter, deps.clock.now())
      .where('people.status', '!=', 'deactivated')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    const progress = new Progress({
      label: 'Issuing access codes',
      unit: 'codes',
      total: Number(counted?.n ?? 0),
      mode,
    });
    const interrupt = interruptible();
    let batch: Awaited<ReturnType<typeof issueAccessCodes>>['batch'];
    try {
      progress.update(0);
      const lifetime = lifetimeHours ? { lifetimeHours } : {};
      // Ctrl-C throws inside the transaction: the whole batch rolls back, no code is issued.
      ({ batch } = await issueAccessCodes(deps, { filter, actor: CLI_ACTOR, ...lifetime }, async (issued) => {
        progress.update(issued);
        // SQLite's queries never leave the event loop's microtasks: let a pending Ctrl-C in.
        await new Promise((resolve) => setImmediate(resolve));
        interrupt.check();
      }));
      progress.finish(batch.count);
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      progress.clear();
      if (values.json) process.stdout.write(`${JSON.stringify({ interrupted: true, issued: 0 })}\n`);
      process.stderr.write('Stopped by Ctrl-C: no access code was issued (a bulk issue is all or nothing).\n');
      return EXIT.interrupted;
    } finally {
      interrupt.dispose();
    }
    // Owner-only permissions: the file holds live codes.
    const target = out === undefined ? process.stdout : fs.createWriteStream(out, { mode: 0o600 });
    // Writing 700,000 slips takes minutes too: a progress line of its own (not over the CSV on a terminal's stdout).
    const writing = new Progress({
      label: 'Writing',
      unit: 'codes',
      total: batch.count,
      mode: out === undefined && mode === 'tty' ? 'quiet' : mode,
    });
    if (format === 'pdf') {
      // Slips in hand-out order (store, department, surname), a new page for each store.
      const slips = countedItems(readBatchSlips(deps, batch.id, locale), (written) => writing.update(written));
      await renderSlipsPdf(slips, slipOptionsOf(deps, locale), target);
    } else {
      const pages = countedItems(
        readBatchCodePages(deps, batch.id),
        (written) => writing.update(written),
        (page) => page.length,
      );
      await pipeline(codesCsv(pages), target, { end: out !== undefined });
    }
    writing.finish(batch.count);
    if (values.json) {
      // The result on standard output, unless the codes' CSV is already there.
      const result = `${JSON.stringify({ batchId: batch.id, count: batch.count, out: out ?? null })}\n`;
      (out === undefined ? process.stderr : process.stdout).write(result);
      return 0;
    }
    if (mode !== 'quiet')
      process.stderr.write(
        `Issued ${batch.count} access codes (batch ${batch.id})${out ? ` into ${out}` : ''}. ` +
          'Hand them out in person; anyone with an unused code can get into its account.\n',
      );
    return 0;
  });
}

/**
 * Passes the items (or pages of them: `itemsIn` says how many each holds) through, reporting
 * every 500th item that went by.
 */
async function* countedItems<T>(
  entries: AsyncIterable<T>,
  onCount: (count: number) => void,
  itemsIn: (entry: T) => number = () => 1,
): AsyncGenerator<T> {
  let count = 0;
  for await (const entry of entries) {
    yield entry;
    const before = count;
    count += itemsIn(entry);
    // A page may pass more than one 500th item: each is reported, as when items came one by one.
    for (let reported = before - (before % 500) + 500; reported <= count; reported += 500) onCount(reported);
  }
}

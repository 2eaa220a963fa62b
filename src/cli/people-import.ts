import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { CLI_ACTOR } from '../audit/audit.js';
import { importPeople, reportInWords } from '../people/people-import.js';
import { Interrupted, interruptible, Progress, progressModeOf } from './progress.js';
import { PROGRESS_OPTIONS, UsageError } from './usage.js';
import { withRuntime } from './with-runtime.js';

/**
 * Streams the file through the same importer as the API; exit code 1 when some rows were refused.
 * Ctrl-C stops after the chunk being written: the chunks committed before stay imported.
 */
export async function peopleImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: PROGRESS_OPTIONS, allowPositionals: true });
  const file = positionals[0];
  if (!file) throw new UsageError('Give the CSV file to import: keyslip people import FILE.csv');
  if (!fs.existsSync(file)) throw new UsageError(`No such file: ${file}`);
  const mode = progressModeOf(values);
  const total = mode === 'quiet' ? undefined : await dataLinesOf(file);
  return withRuntime(async ({ deps }) => {
    const progress = new Progress({ label: 'Importing people', unit: 'rows', total, mode });
    const interrupt = interruptible();
    let reached = { rows: 0, line: 0 };
    try {
      progress.update(0);
      const imported = await importPeople(deps, fs.createReadStream(file), CLI_ACTOR, (at) => {
        reached = at;
        progress.update(at.rows);
        interrupt.check();
      });
      const report = reportInWords(imported, 'en');
      progress.finish(reached.rows);
      if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(
          `Created ${report.created}, updated ${report.updated}, unchanged ${report.unchanged}, ` +
            `refused ${report.errors.length}.\n`,
        );
        for (const error of report.errors) process.stderr.write(`line ${error.line}: ${error.message}\n`);
      }
      return report.errors.length > 0 ? 1 : 0;
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      progress.clear();
      const message =
        `Stopped by Ctrl-C after ${reached.rows} rows (up to line ${reached.line} of ${file}). ` +
        'Those rows are imported; importing the whole file again is ' +
        'safe: people already there are updated, not duplicated.';
      if (values.json)
        process.stdout.write(`${JSON.stringify({ interrupted: true, rows: reached.rows, line: reached.line })}\n`);
      process.stderr.write(`${message}\n`);
      return 130;
    } finally {
      interrupt.dispose();
    }
  });
}

/** Lines after the header: the total the progress line counts towards (quoted line breaks make it an estimate). */
async function dataLinesOf(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  if (last !== 10) lines += 1;
  return Math.max(0, lines - 1);
}

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { CLI_ACTOR } from '../audit/audit.js';
import { importPeople } from '../people/people-import.js';
import { UsageError } from './usage.js';
import { withRuntime } from './with-runtime.js';

/** Streams the file through the same importer as the API; exit code 1 when some rows were refused. */
export async function peopleImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const file = positionals[0];
  if (!file) throw new UsageError('Give the CSV file to import: keyslip people import FILE.csv');
  if (!fs.existsSync(file)) throw new UsageError(`No such file: ${file}`);
  return withRuntime(async ({ deps }) => {
    const report = await importPeople(deps, fs.createReadStream(file), CLI_ACTOR);
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(`Created ${report.created}, updated ${report.updated}, refused ${report.errors.length}.\n`);
      for (const error of report.errors) process.stderr.write(`line ${error.line}: ${error.message}\n`);
    }
    return report.errors.length > 0 ? 1 : 0;
  });
}

import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { CLI_ACTOR } from '../audit/audit.js';
import { codesCsv } from '../access-codes/batch-files.js';
import { issueAccessCodes, readBatchCodes } from '../access-codes/batches.service.js';
import { renderSlipsPdf } from '../access-codes/slips.pdf.js';
import type { PeopleFilter } from '../people/people.store.js';
import { UsageError } from './usage.js';
import { withRuntime } from './with-runtime.js';

/** Issues a batch (everyone, or `--no-email`) and writes its codes as CSV or PDF slips. */
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
    },
  });
  const out = values.out;
  const format = out === undefined ? 'csv' : out.toLowerCase().endsWith('.pdf') ? 'pdf' : out.toLowerCase().endsWith('.csv') ? 'csv' : null;
  if (format === null) throw new UsageError('--out must name a .csv or a .pdf file.');
  const locale = values.lang === 'sv' ? 'sv' : 'en';
  let lifetimeHours: number | undefined;
  if (values['lifetime-hours'] !== undefined) {
    lifetimeHours = Number(values['lifetime-hours']);
    if (!Number.isInteger(lifetimeHours) || lifetimeHours < 1) throw new UsageError('--lifetime-hours must be a whole number of hours.');
  }
  const filter: PeopleFilter = {};
  if (values['no-email']) filter.hasEmail = false;
  if (values.department) filter.department = values.department;
  if (values.location) filter.location = values.location;

  return withRuntime(async ({ deps }) => {
    const { batch } = await issueAccessCodes(deps, { filter, actor: CLI_ACTOR, ...(lifetimeHours ? { lifetimeHours } : {}) });
    // Owner-only permissions: the file holds live codes.
    const target = out === undefined ? process.stdout : fs.createWriteStream(out, { mode: 0o600 });
    const items = readBatchCodes(deps, batch.id);
    if (format === 'pdf') await renderSlipsPdf(items, { locale, accessCodeUrl: deps.config.accessCodeUrl, fallbackFont: deps.config.pdfFallbackFont }, target);
    else await pipeline(codesCsv(items), target, { end: out !== undefined });
    process.stderr.write(`Issued ${batch.count} access codes (batch ${batch.id})${out ? ` into ${out}` : ''}. Hand them out in person; anyone with an unused code can get into its account.\n`);
    return 0;
  });
}

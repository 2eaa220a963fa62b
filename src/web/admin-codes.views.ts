// The access-code pages of the admin panel: get one code (choose a lifetime → the code shown
// once, with copy and print), deactivate one code, get codes for a group (confirmation → the
// batch page with its downloads), and deactivate the codes of a group.
import type { Batch } from '../access-codes/batches.service.js';
import { slipText } from '../access-codes/slip.messages.js';
import { HOUR } from '../lib/clock.js';
import { csrfField } from '../http/forms.js';
import { fillHtml, html, raw, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import type { Person } from '../people/person.js';
import type { PeopleFilter } from '../people/people.store.js';
import {
  adminText,
  filterHiddenFields,
  filterSummary,
  formatDateTime,
  formatNumber,
  notice,
  peopleCount,
  timeElement,
} from './admin.views.js';

export const codesText = defineMessages({
  en: {
    forPerson: 'For {name}',
    usernameIs: 'Username: {username}',
    usernameLater: 'Username: you choose it the first time you use the code',
    lifetime: 'How long the code is valid',
    lifetimeMax: '{days} days (the longest allowed)',
    lifetimeDays: '{days} days',
    lifetimeHours: '{hours} hours',
    lifetimeHint: 'Choose a short time for a code you hand over on the spot.',
    replaces:
      '{name} already has an active access code, valid until {date}. Getting a new one makes that code stop working.',
    sensitive:
      'Anyone who has an unused access code can get into the account. Give the code only to the person it belongs to.',
    shownTitle: 'Access code for {name}',
    shownOnce: 'This code is shown only once. Copy it or print the slip now: it cannot be shown again.',
    validUntil: 'Valid until {date}',
    copy: 'Copy code',
    copied: 'The code was copied.',
    copyFailed: 'Could not copy. Select the code and copy it by hand.',
    print: 'Print slip',
    done: 'Done',
    codeLabel: 'The access code',
    qrAlt: 'QR code that opens the access code page with this code filled in',
    goneTitle: 'The access code is no longer shown',
    goneText:
      'An access code is shown only once, right after it is made. If it was lost, get a new one: it replaces the old ' +
      'code.',
    deactivateText:
      'The access code of {name}, valid until {date}, will stop working at once. You can get a new one later.',
    noActiveCode: '{name} has no active access code.',
    bulkFor: 'Codes will be made for {count}: {filter}.',
    bulkReplaces:
      '{count} of them already have an active access code. Those codes will be replaced and stop working, even ' +
      'if they are already printed.',
    bulkReplacesOne:
      '1 of them already has an active access code. It will be replaced and stop working, even if it is already ' +
      'printed.',
    bulkNoneActive: 'None of them holds an active access code now.',
    bulkSkipsDeactivated: 'Deactivated people are left out.',
    bulkWindow:
      'Afterwards you can download the codes as a CSV file and as printable slips (PDF) for {minutes} minutes. Then ' +
      'they are erased from the server.',
    bulkSubmit: 'Get access codes for {count}',
    bulkNone: 'No one matches, so there are no codes to make.',
    batchTitle: 'Access codes for a group',
    batchReady: '{count} new access codes are ready.',
    batchMade: 'Made',
    batchBy: 'By',
    batchCount: 'Number of codes',
    batchSelection: 'Selection',
    batchWindow: 'Download them now. The files can be downloaded until {time}',
    minutesLeft: '{minutes} minutes left',
    minuteLeft: 'less than a minute left',
    downloadCsv: 'Download CSV',
    downloadPdf: 'Download slips (PDF)',
    batchKeepSafe:
      'The files hold working access codes. Keep them safe, give each slip only to its owner, and delete the files ' +
      'once the slips are handed out.',
    batchClosed:
      'The download window has closed. The codes were erased from the server and cannot be downloaded again.',
    batchClosedStill:
      'Codes already handed out still work until they expire. If the files were lost, get access codes again: that ' +
      'replaces these codes.',
    backToPeople: 'Back to People',
    bulkDeactivateTitle: 'Deactivate access codes',
    bulkDeactivateFor: 'Active access codes in this selection ({filter}): {count}. They will stop working at once.',
    bulkDeactivateSubmit: 'Deactivate access codes ({count})',
    bulkDeactivateNone: 'No one in this selection ({filter}) holds an active access code.',
  },
  sv: {
    forPerson: 'För {name}',
    usernameIs: 'Användarnamn: {username}',
    usernameLater: 'Användarnamn: du väljer det första gången du använder koden',
    lifetime: 'Hur länge koden gäller',
    lifetimeMax: '{days} dagar (längsta tillåtna)',
    lifetimeDays: '{days} dagar',
    lifetimeHours: '{hours} timmar',
    lifetimeHint: 'Välj en kort tid för en kod som du lämnar över direkt.',
    replaces: '{name} har redan en aktiv åtkomstkod som gäller till {date}. En ny kod gör att den slutar fungera.',
    sensitive: 'Den som har en oanvänd åtkomstkod kommer åt kontot. Ge koden bara till personen den tillhör.',
    shownTitle: 'Åtkomstkod för {name}',
    shownOnce: 'Koden visas bara en gång. Kopiera den eller skriv ut lappen nu – den kan inte visas igen.',
    validUntil: 'Giltig till {date}',
    copy: 'Kopiera koden',
    copied: 'Koden kopierades.',
    copyFailed: 'Det gick inte att kopiera. Markera koden och kopiera den för hand.',
    print: 'Skriv ut lapp',
    done: 'Klar',
    codeLabel: 'Åtkomstkoden',
    qrAlt: 'QR-kod som öppnar åtkomstkodsidan med koden ifylld',
    goneTitle: 'Åtkomstkoden visas inte längre',
    goneText:
      'En åtkomstkod visas bara en gång, direkt när den skapas. Om den har kommit bort, hämta en ny – den ersätter ' +
      'den gamla.',
    deactivateText:
      'Åtkomstkoden för {name}, som gäller till {date}, slutar fungera direkt. Du kan hämta en ny senare.',
    noActiveCode: '{name} har ingen aktiv åtkomstkod.',
    bulkFor: 'Koder skapas för {count}: {filter}.',
    bulkReplaces:
      '{count} av dem har redan en aktiv åtkomstkod. De ersätts och slutar fungera – även om de redan är utskrivna.',
    bulkReplacesOne:
      '1 av dem har redan en aktiv åtkomstkod. Den ersätts och slutar fungera – även om den redan är utskriven.',
    bulkNoneActive: 'Ingen av dem har en aktiv åtkomstkod nu.',
    bulkSkipsDeactivated: 'Inaktiverade personer tas inte med.',
    bulkWindow:
      'Efteråt kan du ladda ner koderna som CSV-fil och som utskrivbara lappar (PDF) i {minutes} minuter. Sedan ' +
      'raderas de från servern.',
    bulkSubmit: 'Hämta åtkomstkoder för {count}',
    bulkNone: 'Ingen matchar, så det finns inga koder att skapa.',
    batchTitle: 'Åtkomstkoder för en grupp',
    batchReady: '{count} nya åtkomstkoder är klara.',
    batchMade: 'Skapad',
    batchBy: 'Av',
    batchCount: 'Antal koder',
    batchSelection: 'Urval',
    batchWindow: 'Ladda ner dem nu. Filerna kan laddas ner till {time}',
    minutesLeft: '{minutes} minuter kvar',
    minuteLeft: 'mindre än en minut kvar',
    downloadCsv: 'Ladda ner CSV',
    downloadPdf: 'Ladda ner lappar (PDF)',
    batchKeepSafe:
      'Filerna innehåller giltiga åtkomstkoder. Förvara dem säkert, ge varje lapp bara till rätt person och radera ' +
      'filerna när lapparna har delats ut.',
    batchClosed: 'Tiden för nedladdning har gått ut. Koderna har raderats från servern och kan inte laddas ner igen.',
    batchClosedStill:
      'Koder som redan delats ut fungerar tills de går ut. Om filerna har kommit bort, hämta åtkomstkoder igen – det ' +
      'ersätter de här koderna.',
    backToPeople: 'Tillbaka till Personer',
    bulkDeactivateTitle: 'Inaktivera åtkomstkoder',
    bulkDeactivateFor: 'Aktiva åtkomstkoder i urvalet ({filter}): {count}. De slutar fungera direkt.',
    bulkDeactivateSubmit: 'Inaktivera åtkomstkoder ({count})',
    bulkDeactivateNone: 'Ingen i urvalet ({filter}) har en aktiv åtkomstkod.',
  },
});

type Key = Parameters<typeof codesText>[1];
const tr =
  (locale: Locale) =>
  (key: Key, vars?: Record<string, string | number>): string =>
    codesText(locale, key, vars);

function breadcrumb(locale: Locale, person?: Person): SafeHtml {
  return html`<p class="breadcrumb"><a href="/admin/people">${labelText(locale, 'people')}</a>${
    person &&
    html` › <a
    href="/admin/people/${person.id}">${person.name}</a>`
  }</p>`;
}

// ---------------------------------------------------------------------------------------------
// One person's code

/** The lifetimes offered, in hours: the longest allowed first, then 7 days and 24 hours when shorter. */
export function lifetimeChoices(maxMs: number): number[] {
  const maxHours = Math.floor(maxMs / HOUR);
  return [maxHours, ...[7 * 24, 24].filter((hours) => hours < maxHours)];
}

export function lifetimeText(locale: Locale, hours: number, isMax: boolean): string {
  const t = tr(locale);
  if (isMax && hours % 24 === 0) return t('lifetimeMax', { days: hours / 24 });
  if (hours % 24 === 0 && hours > 24) return t('lifetimeDays', { days: hours / 24 });
  return t('lifetimeHours', { hours });
}

export function issueCodePage(options: {
  locale: Locale;
  csrfToken: string;
  person: Person;
  maxLifetimeMs: number;
  returnTo: string;
  /** An admin account under the two-person rule: the form asks for approval instead (SPEC §9). */
  askApproval?: { note: string; button: string };
}): SafeHtml {
  const { locale, person } = options;
  const t = tr(locale);
  const choices = lifetimeChoices(options.maxLifetimeMs);
  const activeUntil = person.codeState === 'active' && person.codeExpiresAt ? Date.parse(person.codeExpiresAt) : null;
  return html`${breadcrumb(locale, person)}
<h1>${labelText(locale, 'getAccessCode')}</h1>
<p class="lead">${t('forPerson', { name: person.name })}</p>
${
  activeUntil !== null &&
  notice(
    'warning',
    html`<p>${fillHtml(codesText.catalog[locale].replaces, {
      name: person.name,
      date: timeElement(locale, activeUntil),
    })}</p>`,
  )
}
${options.askApproval && notice('info', options.askApproval.note)}
<form method="post" action="/admin/people/${person.id}/access-code">
  ${csrfField(options.csrfToken)}
  <input type="hidden" name="return" value="${options.returnTo}">
  <fieldset class="field">
    <legend>${t('lifetime')}</legend>
    <p class="hint" id="lifetime-hint">${t('lifetimeHint')}</p>
    ${choices.map(
      (hours, index) =>
        html`<label class="checkbox"><input type="radio" name="lifetimeHours"
          value="${hours}"${index === 0 ? raw(' checked') : ''}${
            index === 0 ? raw(' aria-describedby="lifetime-hint"') : ''
          }> ${lifetimeText(locale, hours, index === 0)}</label>`,
    )}
  </fieldset>
  <p>${t('sensitive')}</p>
  <div class="actions">
    <button type="submit" data-submit-once>${options.askApproval?.button ?? labelText(locale, 'getAccessCode')}</button>
    <a class="button button-secondary" href="${options.returnTo}">${adminText(locale, 'cancel')}</a>
  </div>
</form>`;
}

export interface ShownCodeModel {
  locale: Locale;
  person: Person;
  code: string;
  expiresAt: number;
  accessCodeUrl: string;
  /** data: URL of the QR code PNG (the code in the URL fragment, as on the PDF slips). */
  qrDataUrl: string;
  returnTo: string;
}

/** The code, shown once: big, grouped, monospace; copy and print (admin.js); a printable slip. */
export function shownCodePage(model: ShownCodeModel): SafeHtml {
  const { locale, person } = model;
  const t = tr(locale);
  const expiry = timeElement(locale, model.expiresAt);
  const groups = model.code.split('-');
  return html`<div class="no-print">${breadcrumb(locale, person)}</div>
<h1 class="no-print">${t('shownTitle', { name: person.name })}</h1>
<div class="notice notice-warning no-print" role="alert"><p><strong>${t('shownOnce')}</strong></p></div>
<section class="slip" aria-label="${slipText(locale, 'heading')}">
  <p class="slip-heading print-only">${slipText(locale, 'heading')}</p>
  <p class="slip-name">${person.name}</p>
  <p class="slip-username">${person.username ? t('usernameIs', { username: person.username }) : t('usernameLater')}</p>
  <p class="visually-hidden" id="code-label">${t('codeLabel')}</p>
  <p class="code-display" id="access-code" aria-labelledby="code-label" data-code="${model.code}">${groups.map(
    (group, index) =>
      html`${index > 0 ? html`<span class="code-sep" aria-hidden="true">-</span>` : ''}<span
        class="code-group">${group}</span>`,
  )}</p>
  <p class="slip-expiry">${fillHtml(codesText.catalog[locale].validUntil, { date: expiry })}</p>
  <div class="slip-how">
    <img class="slip-qr" src="${model.qrDataUrl}" alt="${t('qrAlt')}" width="132" height="132">
    <div>
      <p class="slip-url">${model.accessCodeUrl}</p>
      <p class="slip-steps">${slipText(locale, person.username ? 'instructions' : 'instructionsChoose')}</p>
      <p class="slip-private print-only">${slipText(locale, 'keepPrivate')}</p>
    </div>
  </div>
</section>
<div class="actions no-print">
  <button type="button" data-copy-code="access-code" data-copied="${t('copied')}" data-copy-failed="${t('copyFailed')}"
    hidden>${t('copy')}</button>
  <button type="button" class="button-secondary" data-print hidden>${t('print')}</button>
  <a class="button button-secondary" href="${model.returnTo}">${t('done')}</a>
</div>
<p class="copy-status no-print" role="status" id="copy-status"></p>
<p class="muted no-print">${t('sensitive')}</p>`;
}

export function codeGonePage(options: { locale: Locale; person: Person; returnTo: string }): SafeHtml {
  const { locale, person } = options;
  const t = tr(locale);
  const again = `/admin/people/${person.id}/access-code?return=${encodeURIComponent(options.returnTo)}`;
  return html`${breadcrumb(locale, person)}
<h1>${t('goneTitle')}</h1>
<p>${t('goneText')}</p>
<div class="actions">
  ${
    person.status !== 'deactivated' && html`<a class="button" href="${again}">${labelText(locale, 'getAccessCode')}</a>`
  }
  <a class="button button-secondary" href="${options.returnTo}">${t('done')}</a>
</div>`;
}

export function deactivateCodePage(options: {
  locale: Locale;
  csrfToken: string;
  person: Person;
  returnTo: string;
}): SafeHtml {
  const { locale, person } = options;
  const t = tr(locale);
  const activeUntil = person.codeState === 'active' && person.codeExpiresAt ? Date.parse(person.codeExpiresAt) : null;
  if (activeUntil === null) {
    return html`${breadcrumb(locale, person)}
<h1>${labelText(locale, 'deactivateAccessCode')}</h1>
<p>${t('noActiveCode', { name: person.name })}</p>
<p><a class="button button-secondary" href="${options.returnTo}">${adminText(locale, 'back')}</a></p>`;
  }
  return html`${breadcrumb(locale, person)}
<h1>${labelText(locale, 'deactivateAccessCode')}</h1>
<p>${fillHtml(codesText.catalog[locale].deactivateText, {
    name: person.name,
    date: timeElement(locale, activeUntil),
  })}</p>
<form method="post" action="/admin/people/${person.id}/access-code/deactivate">
  ${csrfField(options.csrfToken)}
  <input type="hidden" name="return" value="${options.returnTo}">
  <div class="actions">
    <button type="submit" class="button-danger">${labelText(locale, 'deactivateAccessCode')}</button>
    <a class="button button-secondary" href="${options.returnTo}">${adminText(locale, 'cancel')}</a>
  </div>
</form>`;
}

// ---------------------------------------------------------------------------------------------
// Codes for a group

export interface BulkIssueModel {
  locale: Locale;
  csrfToken: string;
  filter: PeopleFilter;
  /** People who get a code (deactivated people are left out). */
  count: number;
  /** Of those, how many hold an active code that will be replaced. */
  replacing: number;
  batchMinutes: number;
  idempotencyKey: string;
  error?: string;
  /** Who is left out, in words: admins always; for a manager, everyone but their areas' members. */
  notes?: readonly string[];
  /** What the selection is in a few words, under the title ("for everyone without email"). */
  note?: string;
  /** Names for what the filter holds by id (the area), for its summary. */
  names?: { area?: string };
}

export function bulkIssuePage(model: BulkIssueModel): SafeHtml {
  const { locale, filter } = model;
  const t = tr(locale);
  const who = peopleCount(locale, model.count);
  if (model.count === 0) {
    return html`${breadcrumb(locale)}
<h1>${labelText(locale, 'getAccessCodes')}</h1>
<p>${t('bulkNone')}</p>
${(model.notes ?? []).map((note) => html`<p class="bulk-note">${note}</p>`)}
<p class="muted">${filterSummary(locale, filter, model.names)}</p>
<p><a class="button button-secondary" href="/admin/people">${t('backToPeople')}</a></p>`;
  }
  return html`${breadcrumb(locale)}
<h1>${labelText(locale, 'getAccessCodes')}</h1>
${model.note && html`<p class="h1-note">${model.note}</p>`}
${model.error && notice('error', model.error, { alert: true })}
<p class="lead" id="bulk-count">${t('bulkFor', { count: who, filter: filterSummary(locale, filter, model.names) })}</p>
${
  model.replacing > 0
    ? notice(
        'warning',
        html`<p><strong>${
          model.replacing === 1
            ? t('bulkReplacesOne')
            : t('bulkReplaces', { count: formatNumber(locale, model.replacing) })
        }</strong></p>`,
      )
    : html`<p>${t('bulkNoneActive')}</p>`
}
<p>${t('bulkSkipsDeactivated')}</p>
${(model.notes ?? []).map((note) => html`<p class="bulk-note">${note}</p>`)}
<p>${t('bulkWindow', { minutes: model.batchMinutes })}</p>
<form method="post" action="/admin/access-codes/issue">
  ${csrfField(model.csrfToken)}
  <input type="hidden" name="idempotencyKey" value="${model.idempotencyKey}">
  ${filterHiddenFields(filter)}
  <div class="actions">
    <button type="submit" data-submit-once>${t('bulkSubmit', { count: who })}</button>
    <a class="button button-secondary" href="/admin/people">${adminText(locale, 'cancel')}</a>
  </div>
</form>`;
}

export interface BatchModel {
  locale: Locale;
  batch: Batch;
  createdBy: string;
  now: number;
  /** Who got a code and how far they have got (admin-guide.views.ts). */
  recipients?: SafeHtml;
}

export function batchPage(model: BatchModel): SafeHtml {
  const { locale, batch } = model;
  const t = tr(locale);
  const until = Date.parse(batch.downloadUntil);
  const left = Math.max(0, until - model.now);
  const minutes = left < 60_000 ? 0 : Math.ceil(left / 60_000);
  const leftText = minutes >= 1 ? t('minutesLeft', { minutes }) : t('minuteLeft');
  const facts = html`<dl class="facts">
  <dt>${t('batchMade')}</dt><dd>${timeElement(locale, Date.parse(batch.createdAt))}</dd>
  <dt>${t('batchBy')}</dt><dd>${model.createdBy}</dd>
  <dt>${t('batchCount')}</dt><dd>${formatNumber(locale, batch.count)}</dd>
  <dt>${t('batchSelection')}</dt><dd>${filterSummary(locale, batch.filter)}</dd>
</dl>`;
  const body = batch.downloadable
    ? html`${notice('success', t('batchReady', { count: batch.count }))}
<p class="download-window" data-seconds-left="${Math.ceil(left / 1000)}"
  data-minutes-left="${t('minutesLeft', { minutes: '{minutes}' })}" data-minute-left="${t('minuteLeft')}">${t(
    'batchWindow',
    { time: formatDateTime(locale, until) },
  )} (<span data-time-left>${leftText}</span>).</p>
<div class="actions">
  <a class="button" href="/admin/batches/${batch.id}/codes.csv" download>${t('downloadCsv')}</a>
  <a class="button" href="/admin/batches/${batch.id}/slips.pdf" download>${t('downloadPdf')}</a>
</div>
${notice('warning', t('batchKeepSafe'))}`
    : html`<div class="notice notice-info"
      data-window-closed><p><strong>${t('batchClosed')}</strong></p><p>${t('batchClosedStill')}</p></div>`;
  return html`${breadcrumb(locale)}
<h1>${t('batchTitle')}</h1>
${body}
${facts}
${model.recipients}
<p><a href="/admin/people">${t('backToPeople')}</a></p>`;
}

export function bulkDeactivatePage(options: {
  locale: Locale;
  csrfToken: string;
  filter: PeopleFilter;
  count: number;
  names?: { area?: string };
}): SafeHtml {
  const { locale, filter } = options;
  const t = tr(locale);
  const summary = filterSummary(locale, filter, options.names);
  if (options.count === 0) {
    return html`${breadcrumb(locale)}
<h1>${t('bulkDeactivateTitle')}</h1>
<p>${t('bulkDeactivateNone', { filter: summary })}</p>
<p><a class="button button-secondary" href="/admin/people">${t('backToPeople')}</a></p>`;
  }
  return html`${breadcrumb(locale)}
<h1>${t('bulkDeactivateTitle')}</h1>
<p class="lead"
  id="bulk-count">${t('bulkDeactivateFor', { count: formatNumber(locale, options.count), filter: summary })}</p>
<form method="post" action="/admin/access-codes/deactivate">
  ${csrfField(options.csrfToken)}
  ${filterHiddenFields(filter)}
  <div class="actions">
    <button type="submit" class="button-danger"
      data-submit-once>${t('bulkDeactivateSubmit', { count: formatNumber(locale, options.count) })}</button>
    <a class="button button-secondary" href="/admin/people">${adminText(locale, 'cancel')}</a>
  </div>
</form>`;
}

// The audit log page: who did what, for whom, when, in plain words; filters and cursor paging.
// A bulk issue is one line whose recipients open in place; the filtered log downloads as CSV
// (the same words, one row per entry, safe to open in a spreadsheet).
import type { BatchRecipient } from '../access-codes/batch-recipients.js';
import { AUDIT_ACTIONS, type AuditAction, type AuditEvent } from '../audit/audit.js';
import { html, type SafeHtml } from '../http/html.js';
import { csvRow } from '../lib/csv.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import type { PeopleFilter } from '../people/people.store.js';
import { requestsText } from './admin-code-requests.views.js';
import {
  adminText,
  auditActionText,
  codeStateText,
  filterSummary,
  formatDateTime,
  notice,
  roleText,
  selectField,
  textField,
  timeElement,
  withQuery,
} from './admin.views.js';

export const auditText = defineMessages({
  en: {
    filters: 'Filter the audit log',
    person: 'Person',
    personHint: 'Name, username or id',
    actor: 'Done by',
    actorHint: 'Name, username or id',
    action: 'Action',
    anyAction: 'Any action',
    from: 'From (date)',
    to: 'To (date, inclusive)',
    apply: 'Show',
    clear: 'Clear filters',
    time: 'Time',
    details: 'Details',
    noEvents: 'No events match these filters.',
    older: 'Older events',
    newest: 'Newest events',
    pages: 'Pages',
    unknownPerson: 'No one matches that name, username or id.',
    tooManyPeople: 'More than {max} people match “{text}”: type more of the name, or choose the person on People.',
    matchedPeople: 'Events for {count} people who match “{text}”. Choose one:',
    exportCsv: 'Download as CSV',
    exportHint: 'Every event that matches these filters, to open in a spreadsheet.',
    showFilters: 'Filters',
    batchShow: 'Show who got a code ({count})',
    batchMore: 'and {count} more:',
    batchOpen: 'open the batch',
    yes: 'yes',
    no: 'no',
    reasonWrongPassword: 'wrong password',
    reasonUnknownLogin: 'unknown username or email',
    reasonNoPassword: 'the account has no password yet (not activated)',
    reasonAccountDeactivated: 'the person is deactivated',
    reasonMalformed: 'cannot be a code (wrong letters or length)',
    reasonUnknownCode: 'no such code',
    reasonUsed: 'the code was already used',
    reasonUsedConcurrently: 'the code was used at the same moment elsewhere',
    reasonCodeDeactivated: 'the code was deactivated',
    reasonReplaced: 'a newer code had replaced it',
    reasonExpired: 'the code had expired',
    reasonTooManyCodes: 'too many wrong codes from the address',
    reasonTooManyUsernameChecks: 'too many username checks from the address',
    reasonTooManySignIns: 'too many failed sign-ins from the address',
    keyUsernameCleared: 'username cleared',
    keyPasswordCleared: 'password removed',
    keyBackToUnclaimed: 'back to not yet claimed',
    keyCodesVoided: 'open codes voided',
    keyAppsNotified: 'apps told to sign out',
    csvTime: 'Time (UTC)',
    csvAction: 'Action',
    csvActionCode: 'Action code',
    csvActor: 'Done by',
    csvPerson: 'Person',
    csvUsername: 'Username',
    csvEmployeeId: 'Employee id',
    csvDetails: 'Details',
    csvIp: 'IP address',
    badDate: 'Enter a date as YYYY-MM-DD.',
    system: 'Keyslip',
    anonymous: 'Someone not signed in',
    cli: 'Command line',
    token: 'API token {name}',
    keyCount: 'count',
    keyKind: 'kind',
    keyExpiresAt: 'expires',
    keyReplaced: 'replaced codes',
    keyBatchId: 'batch',
    keyFilter: 'selection',
    keyReason: 'reason',
    keyFailuresInWindow: 'failed attempts from the address lately',
    keyChanged: 'changed',
    keyCreated: 'created',
    keyUpdated: 'updated',
    keyErrors: 'rows with errors',
    keyCodesDeactivated: 'codes deactivated',
    keySessionsEnded: 'sessions ended',
    keyRole: 'role',
    keyRetryAfterSeconds: 'blocked for seconds',
    keyFormat: 'format',
    keyUsername: 'username',
    keyName: 'name',
    keyEmail: 'email',
    keyEmployeeId: 'employee id',
    keySource: 'through',
    sourceImport: 'CSV import',
    sourceSelection: 'a selection',
    keyIp: 'IP address',
    kindClaim: 'first sign-in',
    kindRecovery: 'recovery',
    openBatch: 'open the batch',
  },
  sv: {
    filters: 'Filtrera granskningsloggen',
    person: 'Person',
    personHint: 'Namn, användarnamn eller id',
    actor: 'Utfört av',
    actorHint: 'Namn, användarnamn eller id',
    action: 'Händelse',
    anyAction: 'Alla händelser',
    from: 'Från (datum)',
    to: 'Till (datum, inklusive)',
    apply: 'Visa',
    clear: 'Rensa filter',
    time: 'Tid',
    details: 'Detaljer',
    noEvents: 'Inga händelser matchar de här filtren.',
    older: 'Äldre händelser',
    newest: 'Senaste händelserna',
    pages: 'Sidor',
    unknownPerson: 'Ingen matchar det namnet, användarnamnet eller id:t.',
    tooManyPeople: 'Fler än {max} personer matchar ”{text}”: skriv mer av namnet, eller välj personen under Personer.',
    matchedPeople: 'Händelser för {count} personer som matchar ”{text}”. Välj en:',
    exportCsv: 'Ladda ner som CSV',
    exportHint: 'Alla händelser som matchar filtren, att öppna i ett kalkylark.',
    showFilters: 'Filter',
    batchShow: 'Visa vilka som fick en kod ({count})',
    batchMore: 'och {count} till:',
    batchOpen: 'öppna gruppen',
    yes: 'ja',
    no: 'nej',
    reasonWrongPassword: 'fel lösenord',
    reasonUnknownLogin: 'okänt användarnamn eller e-post',
    reasonNoPassword: 'kontot har inget lösenord än (inte aktiverat)',
    reasonAccountDeactivated: 'personen är inaktiverad',
    reasonMalformed: 'kan inte vara en kod (fel bokstäver eller längd)',
    reasonUnknownCode: 'ingen sådan kod',
    reasonUsed: 'koden var redan använd',
    reasonUsedConcurrently: 'koden användes samtidigt på annat håll',
    reasonCodeDeactivated: 'koden var inaktiverad',
    reasonReplaced: 'en nyare kod hade ersatt den',
    reasonExpired: 'koden hade gått ut',
    reasonTooManyCodes: 'för många felaktiga koder från adressen',
    reasonTooManyUsernameChecks: 'för många kontroller av användarnamn från adressen',
    reasonTooManySignIns: 'för många misslyckade inloggningar från adressen',
    keyUsernameCleared: 'användarnamn borttaget',
    keyPasswordCleared: 'lösenord borttaget',
    keyBackToUnclaimed: 'tillbaka till inte aktiverad',
    keyCodesVoided: 'öppna koder ogiltigförklarade',
    keyAppsNotified: 'appar som ombads logga ut',
    csvTime: 'Tid (UTC)',
    csvAction: 'Händelse',
    csvActionCode: 'Händelsekod',
    csvActor: 'Utfört av',
    csvPerson: 'Person',
    csvUsername: 'Användarnamn',
    csvEmployeeId: 'Anställningsnummer',
    csvDetails: 'Detaljer',
    csvIp: 'IP-adress',
    badDate: 'Ange datum som ÅÅÅÅ-MM-DD.',
    system: 'Keyslip',
    anonymous: 'Någon som inte är inloggad',
    cli: 'Kommandoraden',
    token: 'API-token {name}',
    keyCount: 'antal',
    keyKind: 'typ',
    keyExpiresAt: 'går ut',
    keyReplaced: 'ersatta koder',
    keyBatchId: 'grupp',
    keyFilter: 'urval',
    keyReason: 'orsak',
    keyFailuresInWindow: 'misslyckade försök från adressen nyligen',
    keyChanged: 'ändrat',
    keyCreated: 'tillagda',
    keyUpdated: 'uppdaterade',
    keyErrors: 'rader med fel',
    keyCodesDeactivated: 'inaktiverade koder',
    keySessionsEnded: 'avslutade sessioner',
    keyRole: 'roll',
    keyRetryAfterSeconds: 'spärrad i sekunder',
    keyFormat: 'format',
    keyUsername: 'användarnamn',
    keyName: 'namn',
    keyEmail: 'e-post',
    keyEmployeeId: 'anställningsnummer',
    keySource: 'genom',
    sourceImport: 'CSV-import',
    sourceSelection: 'ett urval',
    keyIp: 'IP-adress',
    kindClaim: 'första inloggning',
    kindRecovery: 'återställning',
    openBatch: 'öppna gruppen',
  },
});

type Key = Parameters<typeof auditText>[1];

export interface AuditFilterValues {
  person: string;
  actor: string;
  action: string;
  from: string;
  to: string;
  /** An area's name or id (SPEC §9): its entries only. */
  area?: string;
}

/** A person a name search matched, offered to narrow the log down to one. */
export interface MatchedPerson {
  id: string;
  name: string;
  username: string | null;
  employeeId: string | null;
  location: string | null;
  department: string | null;
}

/** The recipients of a bulk issue shown on the audit page (a first few, and how many in all). */
export interface FoldedBatch {
  items: BatchRecipient[];
  total: number;
}

export interface AuditPageModel {
  locale: Locale;
  values: AuditFilterValues;
  errors: Partial<Record<keyof AuditFilterValues, string>>;
  events: AuditEvent[];
  /** Names of the people the events mention, by id. */
  people: Map<string, { name: string; username: string | null }>;
  nextCursor: string | null;
  paged: boolean;
  /** People a name in the Person / Done by field matched, when more than one did. */
  matches?: { field: 'person' | 'actor'; text: string; people: MatchedPerson[] } | null;
  /** Bulk issues on this page, by batch id, with their recipients. */
  batches?: Map<string, FoldedBatch>;
}

export function filterQuery(values: AuditFilterValues): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
  return params;
}

const DETAIL_KEYS: Record<string, Key> = {
  count: 'keyCount',
  kind: 'keyKind',
  expiresAt: 'keyExpiresAt',
  replaced: 'keyReplaced',
  batchId: 'keyBatchId',
  filter: 'keyFilter',
  reason: 'keyReason',
  failuresInWindow: 'keyFailuresInWindow',
  changed: 'keyChanged',
  created: 'keyCreated',
  updated: 'keyUpdated',
  errors: 'keyErrors',
  codesDeactivated: 'keyCodesDeactivated',
  sessionsEnded: 'keySessionsEnded',
  role: 'keyRole',
  retryAfterSeconds: 'keyRetryAfterSeconds',
  format: 'keyFormat',
  username: 'keyUsername',
  name: 'keyName',
  email: 'keyEmail',
  employeeId: 'keyEmployeeId',
  source: 'keySource',
  usernameCleared: 'keyUsernameCleared',
  passwordCleared: 'keyPasswordCleared',
  backToUnclaimed: 'keyBackToUnclaimed',
  codesVoided: 'keyCodesVoided',
  appsNotified: 'keyAppsNotified',
};

/** The reasons failures and refusals are recorded with, in words; by action where one word means two things. */
function reasonKey(action: string, reason: string): Key | null {
  switch (reason) {
    case 'wrong_password':
      return 'reasonWrongPassword';
    case 'unknown_login':
      return 'reasonUnknownLogin';
    case 'no_password':
      return 'reasonNoPassword';
    case 'deactivated':
      return action.startsWith('sign_in.') ? 'reasonAccountDeactivated' : 'reasonCodeDeactivated';
    case 'person_deactivated':
      return 'reasonAccountDeactivated';
    case 'malformed':
      return 'reasonMalformed';
    case 'unknown':
      return 'reasonUnknownCode';
    case 'used':
      return 'reasonUsed';
    case 'used_concurrently':
      return 'reasonUsedConcurrently';
    case 'replaced':
      return 'reasonReplaced';
    case 'expired':
      return 'reasonExpired';
    case 'access_code':
      return 'reasonTooManyCodes';
    case 'username_check':
      return 'reasonTooManyUsernameChecks';
    case 'sign_in':
    case 'sign_in_account':
      return 'reasonTooManySignIns';
    default:
      return null;
  }
}

/** Field names of a person, as the admin pages label them. */
const FIELD_LABELS: Record<string, Parameters<typeof adminText>[1]> = {
  name: 'name',
  username: 'username',
  email: 'email',
  employeeId: 'employeeId',
  department: 'department',
  location: 'location',
  title: 'title',
  role: 'role',
  status: 'status',
};

/** An update's old → new value ({ from, to } in the entry's details). */
function isOldAndNew(value: unknown): value is { from: unknown; to: unknown } {
  return typeof value === 'object' && value !== null && Object.keys(value).sort().join() === 'from,to';
}

/** Internal ids that mean nothing to a reader. */
const HIDDEN_DETAILS = new Set(['codeId', 'tokenId', 'usernameChosen']);

/** A detail's value in plain words (no markup): for the page and for the CSV file. */
export function detailText(locale: Locale, action: string, key: string, value: unknown): string {
  if (key === 'filter' && typeof value === 'object' && value !== null)
    return filterSummary(locale, value as PeopleFilter);
  if (key === 'expiresAt' && typeof value === 'string' && !Number.isNaN(Date.parse(value)))
    return formatDateTime(locale, Date.parse(value));
  if (key === 'role' && (value === 'member' || value === 'admin' || value === 'manager'))
    return roleText(locale, value);
  if (isOldAndNew(value)) {
    const side = (part: unknown): string => (part === null ? '–' : detailText(locale, action, key, part));
    return `${side(value.from)} → ${side(value.to)}`;
  }
  if (key === 'reason' && typeof value === 'string') {
    const reason = reasonKey(action, value);
    return reason ? auditText(locale, reason) : value.replace(/_/g, ' ');
  }
  if (key === 'source' && value === 'import') return auditText(locale, 'sourceImport');
  if (key === 'source' && value === 'selection') return auditText(locale, 'sourceSelection');
  if (key === 'kind' && (value === 'claim' || value === 'recovery'))
    return auditText(locale, value === 'claim' ? 'kindClaim' : 'kindRecovery');
  if (key === 'format' && typeof value === 'string') return value.toUpperCase();
  if (key === 'changed' && Array.isArray(value))
    return value
      .map((field) => {
        const label = FIELD_LABELS[String(field)];
        return label ? adminText(locale, label).toLowerCase() : String(field);
      })
      .join(', ');
  if (typeof value === 'boolean') return auditText(locale, value ? 'yes' : 'no');
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function detailValue(locale: Locale, action: string, key: string, value: unknown): SafeHtml | string {
  if (key === 'batchId' && typeof value === 'string' && /^[0-9a-f-]{36}$/.test(value))
    return html`<a href="/admin/batches/${value}">${auditText(locale, 'openBatch')}</a>`;
  return detailText(locale, action, key, value);
}

function detailName(locale: Locale, key: string): string {
  if (key === 'ip') return auditText(locale, 'keyIp');
  const known = DETAIL_KEYS[key];
  return known ? auditText(locale, known) : key;
}

function detailEntries(event: AuditEvent): [string, unknown][] {
  const entries = Object.entries(event.details).filter(([key]) => !HIDDEN_DETAILS.has(key));
  if (event.ip) entries.push(['ip', event.ip]);
  return entries;
}

export function detailsSummary(locale: Locale, event: AuditEvent): SafeHtml {
  const entries = detailEntries(event);
  if (entries.length === 0) return html``;
  return html`<ul class="details">${entries.map(
    ([key, value]) =>
      html`<li><span class="detail-key">${detailName(locale, key)}:</span> ${detailValue(
        locale,
        event.action,
        key,
        value,
      )}</li>`,
  )}</ul>`;
}

/** The details of an entry as one line of plain text (the CSV file's Details column). */
export function detailsLine(locale: Locale, event: AuditEvent): string {
  return detailEntries(event)
    .filter(([key]) => key !== 'ip')
    .map(([key, value]) => `${detailName(locale, key)}: ${detailText(locale, event.action, key, value)}`)
    .join('; ');
}

function actorText(locale: Locale, event: AuditEvent): string {
  const label = event.actor.label;
  if (label === 'keyslip') return auditText(locale, 'system');
  if (label === 'anonymous') return auditText(locale, 'anonymous');
  if (label === 'cli') return auditText(locale, 'cli');
  if (label.startsWith('token:')) return auditText(locale, 'token', { name: label.slice(6) });
  return label;
}

function actorCell(model: AuditPageModel, event: AuditEvent): SafeHtml | string {
  if (event.actor.id && model.people.has(event.actor.id)) {
    const person = model.people.get(event.actor.id)!;
    return html`<a href="/admin/people/${event.actor.id}">${person.name}</a>`;
  }
  return actorText(model.locale, event);
}

function personCell(model: AuditPageModel, event: AuditEvent): SafeHtml | string {
  if (!event.personId) return '–';
  const person = model.people.get(event.personId);
  return html`<a href="/admin/people/${event.personId}">${person ? person.name : event.personId}</a>`;
}

function actionWords(locale: Locale, action: string): string {
  return (AUDIT_ACTIONS as readonly string[]).includes(action)
    ? auditActionText(locale, action as AuditAction)
    : action;
}

/** A bulk issue's recipients, folded: one line that opens to the names (never a code). */
function batchFold(model: AuditPageModel, event: AuditEvent): SafeHtml | null {
  const batchId = event.details.batchId;
  if (event.action !== 'access_codes.issued' || typeof batchId !== 'string') return null;
  const batch = model.batches?.get(batchId);
  if (!batch || batch.total === 0) return null;
  const { locale } = model;
  const more = batch.total - batch.items.length;
  return html`<details class="batch-fold">
  <summary>${auditText(locale, 'batchShow', { count: batch.total })}</summary>
  <ul class="batch-people">${batch.items.map(
    (item) =>
      html`<li><a href="/admin/people/${item.personId}">${item.name}</a>${
        item.employeeId && html` <span class="muted">${item.employeeId}</span>`
      }${item.location && html` <span class="muted">· ${item.location}</span>`} – ${codeStateText(
        locale,
        item.codeState,
      )}</li>`,
  )}</ul>
  ${
    more > 0 &&
    html`<p>${auditText(locale, 'batchMore', { count: more })} <a
    href="/admin/batches/${batchId}">${auditText(locale, 'batchOpen')}</a></p>`
  }
</details>`;
}

function matchesNotice(model: AuditPageModel): SafeHtml | null {
  const matches = model.matches;
  if (!matches || matches.people.length < 2) return null;
  const { locale, values } = model;
  const narrowed = (id: string): string => withQuery('/admin/audit', filterQuery({ ...values, [matches.field]: id }));
  return html`<div class="notice notice-info"><p>${auditText(locale, 'matchedPeople', {
    count: matches.people.length,
    text: matches.text,
  })}</p>
<ul class="matched-people">${matches.people.map(
    (person) =>
      html`<li><a href="${narrowed(person.id)}">${person.name}</a>${
        [person.employeeId, person.department, person.location, person.username].some(Boolean)
          ? html` <span class="muted">(${[person.employeeId, person.department, person.location, person.username]
              .filter(Boolean)
              .join(' · ')})</span>`
          : ''
      }</li>`,
  )}</ul></div>`;
}

export function auditPage(model: AuditPageModel): SafeHtml {
  const { locale, values, errors } = model;
  const t = (key: Key): string => auditText(locale, key);
  const params = filterQuery(values);
  const next = model.nextCursor
    ? withQuery('/admin/audit', new URLSearchParams([...params, ['cursor', model.nextCursor]]))
    : null;
  const first = model.paged ? withQuery('/admin/audit', params) : null;
  const actions = AUDIT_ACTIONS.map((action: AuditAction) => ({
    value: action,
    text: auditActionText(locale, action),
  }));
  const active = Object.values(values).filter(Boolean).length;
  const form = html`<details class="filters-fold" open data-fold-filters
  data-active="${active + Object.keys(errors).length}">
<summary>${t('showFilters')}${active > 0 ? ` (${active})` : ''}</summary>
<form method="get" action="/admin/audit" class="filters" aria-label="${t('filters')}">
  <div class="filter-row">
    ${textField({
      name: 'person',
      label: t('person'),
      hint: t('personHint'),
      value: values.person,
      error: errors.person,
      maxlength: 100,
    })}
    ${textField({
      name: 'actor',
      label: t('actor'),
      hint: t('actorHint'),
      value: values.actor,
      error: errors.actor,
      maxlength: 100,
    })}
    ${selectField({
      name: 'action',
      label: t('action'),
      value: values.action,
      choices: [{ value: '', text: t('anyAction') }, ...actions],
    })}
    ${textField({ name: 'from', label: t('from'), type: 'date', value: values.from, error: errors.from })}
    ${textField({ name: 'to', label: t('to'), type: 'date', value: values.to, error: errors.to })}
    ${textField({
      name: 'area',
      label: requestsText(locale, 'area'),
      hint: requestsText(locale, 'areaHint'),
      value: values.area ?? '',
      error: errors.area,
      maxlength: 200,
    })}
  </div>
  <div class="actions actions-tight">
    <button type="submit" class="button-small">${t('apply')}</button>
    <a href="/admin/audit" class="button button-small button-secondary">${t('clear')}</a>
  </div>
</form>
</details>`;
  const hasErrors = Object.keys(errors).length > 0;
  const exportLink = html`<p class="export-link"><a class="button button-small button-secondary"
  href="${withQuery('/admin/audit/export.csv', params)}" download
  aria-describedby="audit-export-hint">${t('exportCsv')}</a>
<span class="hint" id="audit-export-hint">${t('exportHint')}</span></p>`;
  const table =
    model.events.length === 0
      ? html`<p class="empty">${t('noEvents')}</p>`
      : html`<div class="table-wrap" role="region" aria-labelledby="audit-caption" tabindex="0">
<table class="audit-table">
  <caption id="audit-caption" class="visually-hidden">${labelText(locale, 'auditLog')}</caption>
  <thead><tr>
    <th scope="col">${t('time')}</th>
    <th scope="col">${t('action')}</th>
    <th scope="col">${t('actor')}</th>
    <th scope="col">${t('person')}</th>
    <th scope="col">${t('details')}</th>
  </tr></thead>
  <tbody>${model.events.map(
    (event) => html`<tr>
    <td data-label="${t('time')}">${timeElement(locale, Date.parse(event.at))}</td>
    <td data-label="${t('action')}"><span class="action action-${event.action.replace(/[^a-z_]/g, '-')}">${actionWords(
      locale,
      event.action,
    )}</span></td>
    <td data-label="${t('actor')}">${actorCell(model, event)}</td>
    <td data-label="${t('person')}">${personCell(model, event)}</td>
    <td data-label="${t('details')}">${detailsSummary(locale, event)}${batchFold(model, event)}</td>
  </tr>`,
  )}</tbody>
</table>
</div>`;
  return html`<h1>${labelText(locale, 'auditLog')}</h1>
${hasErrors && notice('error', Object.values(errors).join(' '), { alert: true })}
${matchesNotice(model)}
${form}
${!hasErrors && exportLink}
${table}
${
  (next || first) &&
  html`<nav class="pager" aria-label="${t('pages')}"><ul>${
    first && html`<li><a href="${first}">${t('newest')}</a></li>`
  }${next && html`<li><a href="${next}" rel="next">${t('older')}</a></li>`}</ul></nav>`
}`;
}

// ---------------------------------------------------------------------------------------------
// CSV export

/** The header row of the audit CSV file, in the reader's language. */
export function auditCsvHeader(locale: Locale): string {
  const t = (key: Key): string => auditText(locale, key);
  return csvRow([
    t('csvTime'),
    t('csvAction'),
    t('csvActionCode'),
    t('csvActor'),
    t('csvPerson'),
    t('csvUsername'),
    t('csvEmployeeId'),
    t('csvDetails'),
    t('csvIp'),
  ]);
}

/** One entry as a CSV row: every cell through csvCell, so no cell can start a formula. */
export function auditCsvRow(
  locale: Locale,
  event: AuditEvent,
  people: Map<string, { name: string; username: string | null; employeeId?: string | null }>,
): string {
  const actor = event.actor.id ? people.get(event.actor.id) : undefined;
  const person = event.personId ? people.get(event.personId) : undefined;
  return csvRow([
    event.at,
    actionWords(locale, event.action),
    event.action,
    actor ? actor.name : actorText(locale, event),
    person ? person.name : event.personId,
    person?.username ?? null,
    person?.employeeId ?? null,
    detailsLine(locale, event),
    event.ip,
  ]);
}

// The audit log page: who did what, for whom, when, in plain words; filters and cursor paging.
import { AUDIT_ACTIONS, type AuditAction, type AuditEvent } from '../audit/audit.js';
import { html, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import type { PeopleFilter } from '../people/people.store.js';
import { requestsText } from './admin-code-requests.views.js';
import {
  auditActionText,
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
    personHint: 'Username or id',
    actor: 'Done by',
    actorHint: 'Username or id',
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
    unknownPerson: 'No one has that username or id.',
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
    keyFailuresInWindow: 'failures in a row',
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
    openBatch: 'open',
  },
  sv: {
    filters: 'Filtrera granskningsloggen',
    person: 'Person',
    personHint: 'Användarnamn eller id',
    actor: 'Utfört av',
    actorHint: 'Användarnamn eller id',
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
    unknownPerson: 'Ingen har det användarnamnet eller id:t.',
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
    keyFailuresInWindow: 'misslyckanden i rad',
    keyChanged: 'ändrat',
    keyCreated: 'skapade',
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
    openBatch: 'öppna',
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

export interface AuditPageModel {
  locale: Locale;
  values: AuditFilterValues;
  errors: Partial<Record<keyof AuditFilterValues, string>>;
  events: AuditEvent[];
  /** Names of the people the events mention, by id. */
  people: Map<string, { name: string; username: string | null }>;
  nextCursor: string | null;
  paged: boolean;
}

function filterQuery(values: AuditFilterValues): URLSearchParams {
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
};

/** An update's old → new value ({ from, to } in the entry's details). */
function isOldAndNew(value: unknown): value is { from: unknown; to: unknown } {
  return typeof value === 'object' && value !== null && Object.keys(value).sort().join() === 'from,to';
}

/** Internal ids that mean nothing to a reader. */
const HIDDEN_DETAILS = new Set(['codeId', 'tokenId']);

function detailValue(locale: Locale, key: string, value: unknown): SafeHtml | string {
  if (key === 'batchId' && typeof value === 'string' && /^[0-9a-f-]{36}$/.test(value))
    return html`<a href="/admin/batches/${value}">${auditText(locale, 'openBatch')}</a>`;
  if (key === 'filter' && typeof value === 'object' && value !== null)
    return filterSummary(locale, value as PeopleFilter);
  if (key === 'expiresAt' && typeof value === 'string' && !Number.isNaN(Date.parse(value)))
    return formatDateTime(locale, Date.parse(value));
  if (key === 'role' && (value === 'member' || value === 'admin')) return roleText(locale, value);
  if (isOldAndNew(value)) {
    const side = (part: unknown): SafeHtml | string => (part === null ? '–' : detailValue(locale, key, part));
    return html`${side(value.from)} → ${side(value.to)}`;
  }
  if (key === 'source' && value === 'import') return auditText(locale, 'sourceImport');
  if (key === 'source' && value === 'selection') return auditText(locale, 'sourceSelection');
  if (key === 'kind' && (value === 'claim' || value === 'recovery'))
    return auditText(locale, value === 'claim' ? 'kindClaim' : 'kindRecovery');
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

export function detailsSummary(locale: Locale, event: AuditEvent): SafeHtml {
  const entries = Object.entries(event.details).filter(([key]) => !HIDDEN_DETAILS.has(key));
  if (event.ip) entries.push(['ip', event.ip]);
  if (entries.length === 0) return html``;
  return html`<ul class="details">${entries.map(([key, value]) => {
    const name =
      key === 'ip' ? auditText(locale, 'keyIp') : DETAIL_KEYS[key] ? auditText(locale, DETAIL_KEYS[key]) : key;
    return html`<li><span class="detail-key">${name}:</span> ${detailValue(locale, key, value)}</li>`;
  })}</ul>`;
}

function actorCell(model: AuditPageModel, event: AuditEvent): SafeHtml | string {
  const { locale } = model;
  const label = event.actor.label;
  if (event.actor.id && model.people.has(event.actor.id)) {
    const person = model.people.get(event.actor.id)!;
    return html`<a href="/admin/people/${event.actor.id}">${person.name}</a>`;
  }
  if (label === 'keyslip') return auditText(locale, 'system');
  if (label === 'anonymous') return auditText(locale, 'anonymous');
  if (label === 'cli') return auditText(locale, 'cli');
  if (label.startsWith('token:')) return auditText(locale, 'token', { name: label.slice(6) });
  return label;
}

function personCell(model: AuditPageModel, event: AuditEvent): SafeHtml | string {
  if (!event.personId) return '–';
  const person = model.people.get(event.personId);
  return html`<a href="/admin/people/${event.personId}">${person ? person.name : event.personId}</a>`;
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
  const form = html`<form method="get" action="/admin/audit" class="filters" aria-label="${t('filters')}">
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
</form>`;
  const hasErrors = Object.keys(errors).length > 0;
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
    <td>${timeElement(locale, Date.parse(event.at))}</td>
    <td><span class="action action-${event.action.replace(/[^a-z_]/g, '-')}">${
      (AUDIT_ACTIONS as readonly string[]).includes(event.action)
        ? auditActionText(locale, event.action as AuditAction)
        : event.action
    }</span></td>
    <td>${actorCell(model, event)}</td>
    <td>${personCell(model, event)}</td>
    <td>${detailsSummary(locale, event)}</td>
  </tr>`,
  )}</tbody>
</table>
</div>`;
  return html`<h1>${labelText(locale, 'auditLog')}</h1>
${hasErrors && notice('error', Object.values(errors).join(' '), { alert: true })}
${form}
${table}
${
  (next || first) &&
  html`<nav class="pager" aria-label="${t('pages')}"><ul>${
    first && html`<li><a href="${first}">${t('newest')}</a></li>`
  }${next && html`<li><a href="${next}" rel="next">${t('older')}</a></li>`}</ul></nav>`
}`;
}

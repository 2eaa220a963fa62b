// Pieces every admin page shares: the admin words, dates, code states, the filter in plain words,
// notices, form fields with their errors, and the accessible "More options" menu button.
import type { AuditAction } from '../audit/audit.js';
import type { AccessCodeStateName } from '../access-codes/access-codes.service.js';
import type { PersonRole, PersonStatus } from '../db/schema.js';
import { fillHtml, html, raw, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import type { PeopleFilter } from '../people/people.store.js';
import { formatDateTime, timeElement } from '../http/time.js';

export { formatDate, formatDateTime, timeElement } from '../http/time.js';

export const adminText = defineMessages({
  en: {
    name: 'Name',
    username: 'Username',
    email: 'Email',
    employeeId: 'Employee id',
    department: 'Department',
    location: 'Location',
    title: 'Job title',
    role: 'Role',
    status: 'Status',
    accessCodeState: 'Access code',
    roleMember: 'Member',
    roleManager: 'Manager',
    roleAdmin: 'Admin',
    statusUnclaimed: 'Not yet claimed',
    statusActive: 'Active',
    statusDeactivated: 'Deactivated',
    codeNone: 'None',
    codeActive: 'Active until {date}',
    codeActiveShort: 'Active',
    codeUsed: 'Used',
    codeDeactivated: 'Deactivated',
    codeReplaced: 'Replaced',
    codeExpired: 'Expired',
    none: '–',
    cancel: 'Cancel',
    back: 'Back',
    edit: 'Edit',
    deactivatePerson: 'Deactivate person',
    endSessions: 'Sign out on all devices',
    addPerson: 'Add person',
    importPeople: 'Import people',
    errorSummary: 'There is a problem',
    filterEveryone: 'everyone',
    filterSearch: 'search “{q}”',
    filterWithEmail: 'with an email address',
    filterWithoutEmail: 'without an email address',
    filterStatus: 'status: {status}',
    filterCodeState: 'access code: {state}',
    filterDepartment: 'department: {department}',
    filterLocation: 'location: {location}',
    filterArea: 'area: {area}',
    filterAreaChosen: 'in the chosen area',
    people: '{count} people',
    person: '1 person',
    peopleCapped: '{count}+ people',
  },
  sv: {
    name: 'Namn',
    username: 'Användarnamn',
    email: 'E-post',
    employeeId: 'Anställningsnummer',
    department: 'Avdelning',
    location: 'Plats',
    title: 'Befattning',
    role: 'Roll',
    status: 'Status',
    accessCodeState: 'Åtkomstkod',
    roleMember: 'Medlem',
    roleManager: 'Chef',
    roleAdmin: 'Administratör',
    statusUnclaimed: 'Inte aktiverad än',
    statusActive: 'Aktiv',
    statusDeactivated: 'Inaktiverad',
    codeNone: 'Ingen',
    codeActive: 'Aktiv till {date}',
    codeActiveShort: 'Aktiv',
    codeUsed: 'Använd',
    codeDeactivated: 'Inaktiverad',
    codeReplaced: 'Ersatt',
    codeExpired: 'Utgången',
    none: '–',
    cancel: 'Avbryt',
    back: 'Tillbaka',
    edit: 'Redigera',
    deactivatePerson: 'Inaktivera person',
    endSessions: 'Logga ut från alla enheter',
    addPerson: 'Lägg till person',
    importPeople: 'Importera personer',
    errorSummary: 'Något behöver rättas',
    filterEveryone: 'alla',
    filterSearch: 'sökning ”{q}”',
    filterWithEmail: 'med e-postadress',
    filterWithoutEmail: 'utan e-postadress',
    filterStatus: 'status: {status}',
    filterCodeState: 'åtkomstkod: {state}',
    filterDepartment: 'avdelning: {department}',
    filterLocation: 'plats: {location}',
    filterArea: 'område: {area}',
    filterAreaChosen: 'i det valda området',
    people: '{count} personer',
    person: '1 person',
    peopleCapped: '{count}+ personer',
  },
});

/** The stylesheet and script every admin page loads (besides the layout's app.css). */
export const ADMIN_STYLES = ['admin.css'] as const;
export const ADMIN_SCRIPTS = ['admin.js'] as const;

// ---------------------------------------------------------------------------------------------
// Numbers, dates, states

export function formatNumber(locale: Locale, value: number): string {
  // en: 10,000 (SPEC: "10,000+"); sv: 10 000.
  return new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'sv-SE').format(value);
}

/** How many people, in words: "1 person", "57 people", "10,000+ people". */
export function peopleCount(locale: Locale, count: number, capped = false): string {
  if (capped) return adminText(locale, 'peopleCapped', { count: formatNumber(locale, count) });
  if (count === 1) return adminText(locale, 'person');
  return adminText(locale, 'people', { count: formatNumber(locale, count) });
}

export function roleText(locale: Locale, role: PersonRole): string {
  return adminText(locale, role === 'admin' ? 'roleAdmin' : role === 'manager' ? 'roleManager' : 'roleMember');
}

export function statusText(locale: Locale, status: PersonStatus): string {
  if (status === 'unclaimed') return adminText(locale, 'statusUnclaimed');
  if (status === 'active') return adminText(locale, 'statusActive');
  return adminText(locale, 'statusDeactivated');
}

export function codeStateText(locale: Locale, state: AccessCodeStateName, expiresAt?: number | null): string {
  switch (state) {
    case 'none':
      return adminText(locale, 'codeNone');
    case 'active':
      return expiresAt
        ? adminText(locale, 'codeActive', { date: formatDateTime(locale, expiresAt) })
        : adminText(locale, 'codeActiveShort');
    case 'used':
      return adminText(locale, 'codeUsed');
    case 'deactivated':
      return adminText(locale, 'codeDeactivated');
    case 'replaced':
      return adminText(locale, 'codeReplaced');
    case 'expired':
      return adminText(locale, 'codeExpired');
  }
}

/** The code state with its expiry as a <time>, and a class for its colour. */
export function codeStateBadge(locale: Locale, state: AccessCodeStateName, expiresAt: number | null): SafeHtml {
  if (state === 'active' && expiresAt) {
    const text = fillHtml(adminText.catalog[locale].codeActive, { date: timeElement(locale, expiresAt) });
    return html`<span class="code-state code-state-active">${text}</span>`;
  }
  return html`<span class="code-state code-state-${state}">${codeStateText(locale, state)}</span>`;
}

/**
 * A filter in plain words: "without an email address, status: Active". The filter names an area
 * by id; `names.area` is its name where the caller has it.
 */
export function filterSummary(locale: Locale, filter: PeopleFilter, names: { area?: string } = {}): string {
  const parts: string[] = [];
  if (filter.q) parts.push(adminText(locale, 'filterSearch', { q: filter.q }));
  if (filter.hasEmail === true) parts.push(adminText(locale, 'filterWithEmail'));
  if (filter.hasEmail === false) parts.push(adminText(locale, 'filterWithoutEmail'));
  if (filter.status) parts.push(adminText(locale, 'filterStatus', { status: statusText(locale, filter.status) }));
  if (filter.codeState)
    parts.push(adminText(locale, 'filterCodeState', { state: codeStateText(locale, filter.codeState) }));
  if (filter.department) parts.push(adminText(locale, 'filterDepartment', { department: filter.department }));
  if (filter.location) parts.push(adminText(locale, 'filterLocation', { location: filter.location }));
  if (filter.area) {
    parts.push(
      names.area ? adminText(locale, 'filterArea', { area: names.area }) : adminText(locale, 'filterAreaChosen'),
    );
  }
  return parts.length === 0 ? adminText(locale, 'filterEveryone') : parts.join(', ');
}

/** The filter as query-string pairs (for links that keep the current selection). */
export function filterParams(filter: PeopleFilter): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.q) params.set('q', filter.q);
  if (filter.hasEmail !== undefined) params.set('hasEmail', String(filter.hasEmail));
  if (filter.status) params.set('status', filter.status);
  if (filter.codeState) params.set('codeState', filter.codeState);
  if (filter.department) params.set('department', filter.department);
  if (filter.location) params.set('location', filter.location);
  if (filter.area) params.set('area', filter.area);
  return params;
}

/** Hidden fields carrying a filter through a confirmation form. */
export function filterHiddenFields(filter: PeopleFilter): SafeHtml {
  const field = ([name, value]: [string, string]): SafeHtml =>
    html`<input type="hidden" name="${name}" value="${value}">`;
  return html`${[...filterParams(filter)].map(field)}`;
}

export function withQuery(path: string, params: URLSearchParams): string {
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

// ---------------------------------------------------------------------------------------------
// Audit actions in plain words

export const auditActionText = defineMessages<AuditAction>({
  en: {
    'person.created': 'Person added',
    'person.updated': 'Person edited',
    'person.deactivated': 'Person deactivated',
    'person.reactivated': 'Person reactivated',
    'person.deprovisioned': 'Person removed by provisioning (SCIM)',
    'person.erased': 'Personal data erased',
    'person.claimed': 'Account claimed',
    'person.started_over': 'Started over (new access code)',
    'people.imported': 'People imported',
    'access_code.issued': 'Access code issued',
    'access_codes.issued': 'Access codes issued for a group',
    'access_code.deactivated': 'Access code deactivated',
    'access_codes.deactivated': 'Access codes deactivated for a group',
    'access_code.redeemed': 'Access code used',
    'access_code.failed': 'Access code attempt failed',
    'access_code.rate_limited': 'Too many access code attempts',
    'access_code.requested': 'New code requested',
    'access_code.failures_tallied': 'Many failed access code attempts: further ones are counted per address',
    'batch.downloaded': 'Access codes downloaded',
    'sign_in.succeeded': 'Signed in',
    'sign_in.failed': 'Sign-in failed',
    'sign_in.rate_limited': 'Too many sign-in attempts',
    'session.ended': 'Signed out',
    'sessions.ended': 'All sessions ended',
    'password.changed': 'Password changed',
    'api_token.created': 'API token created',
    'api_token.revoked': 'API token revoked',
    'oidc.client_created': 'App added',
    'oidc.client_deleted': 'App removed',
    'oidc.signed_in': 'Signed in to an app',
    'oidc.consented': 'Allowed an app',
    'oidc.keys_rotated': 'App signing keys rotated',
    'oidc.logout_sent': 'App told of sign-out',
    'oidc.logout_failed': 'App could not be told of sign-out',
    'area.created': 'Area created',
    'area.renamed': 'Area renamed',
    'area.updated': 'Area edited',
    'area.deleted': 'Area deleted',
    'area.member_added': 'Added to area',
    'area.member_removed': 'Removed from area',
    'area.manager_added': 'Made area manager',
    'area.manager_removed': 'No longer area manager',
    'admin_code.requested': 'Admin code requested',
    'admin_code.approved': 'Admin code request approved',
    'admin_code.declined': 'Admin code request declined',
    'admin_code.expired': 'Admin code request expired',
    'admin_code.issued': 'Admin code collected',
    'break_glass.admin_created': 'Admin created on the server (break glass)',
  },
  sv: {
    'person.created': 'Person tillagd',
    'person.updated': 'Person ändrad',
    'person.deactivated': 'Person inaktiverad',
    'person.reactivated': 'Person återaktiverad',
    'person.deprovisioned': 'Person borttagen av provisionering (SCIM)',
    'person.erased': 'Personuppgifter raderade',
    'person.claimed': 'Konto aktiverat',
    'person.started_over': 'Börjat om (ny åtkomstkod)',
    'people.imported': 'Personer importerade',
    'access_code.issued': 'Åtkomstkod skapad',
    'access_codes.issued': 'Åtkomstkoder skapade för en grupp',
    'access_code.deactivated': 'Åtkomstkod inaktiverad',
    'access_codes.deactivated': 'Åtkomstkoder inaktiverade för en grupp',
    'access_code.redeemed': 'Åtkomstkod använd',
    'access_code.failed': 'Misslyckat försök med åtkomstkod',
    'access_code.rate_limited': 'För många försök med åtkomstkod',
    'access_code.requested': 'Ny kod begärd',
    'access_code.failures_tallied': 'Många misslyckade försök med åtkomstkod: fler räknas per adress',
    'batch.downloaded': 'Åtkomstkoder nedladdade',
    'sign_in.succeeded': 'Inloggad',
    'sign_in.failed': 'Misslyckad inloggning',
    'sign_in.rate_limited': 'För många inloggningsförsök',
    'session.ended': 'Utloggad',
    'sessions.ended': 'Alla sessioner avslutade',
    'password.changed': 'Lösenord ändrat',
    'api_token.created': 'API-token skapad',
    'api_token.revoked': 'API-token återkallad',
    'oidc.client_created': 'App tillagd',
    'oidc.client_deleted': 'App borttagen',
    'oidc.signed_in': 'Inloggad i en app',
    'oidc.consented': 'Tillät en app',
    'oidc.keys_rotated': 'Appars signeringsnycklar bytta',
    'oidc.logout_sent': 'App meddelad om utloggning',
    'oidc.logout_failed': 'App kunde inte meddelas om utloggning',
    'area.created': 'Område skapat',
    'area.renamed': 'Område omdöpt',
    'area.updated': 'Område ändrat',
    'area.deleted': 'Område borttaget',
    'area.member_added': 'Tillagd i område',
    'area.member_removed': 'Borttagen från område',
    'area.manager_added': 'Blev områdeschef',
    'area.manager_removed': 'Inte längre områdeschef',
    'admin_code.requested': 'Administratörskod begärd',
    'admin_code.approved': 'Begäran om administratörskod godkänd',
    'admin_code.declined': 'Begäran om administratörskod avslagen',
    'admin_code.expired': 'Begäran om administratörskod gick ut',
    'admin_code.issued': 'Administratörskod hämtad',
    'break_glass.admin_created': 'Administratör skapad på servern (nödåtkomst)',
  },
});

// ---------------------------------------------------------------------------------------------
// Notices, fields, errors

export function notice(
  kind: 'success' | 'info' | 'warning' | 'error',
  body: SafeHtml | string,
  options: { alert?: boolean } = {},
): SafeHtml {
  const role = options.alert ? raw(' role="alert"') : kind === 'success' ? raw(' role="status"') : '';
  return html`<div
    class="notice notice-${kind}"${role}>${typeof body === 'string' ? html`<p>${body}</p>` : body}</div>`;
}

export type FieldErrors = Record<string, string>;

/** An error summary linking to each field (GOV.UK pattern), focused by admin.js on load. */
export function errorSummary(
  locale: Locale,
  errors: FieldErrors,
  fieldLabels: Record<string, string>,
): SafeHtml | null {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return html`<div class="error-summary" role="alert" tabindex="-1" data-focus-on-load>
  <h2>${adminText(locale, 'errorSummary')}</h2>
  <ul>${entries.map(
    ([field, message]) => html`<li><a
    href="#field-${field}">${fieldLabels[field] ? `${fieldLabels[field]}: ` : ''}${message}</a></li>`,
  )}</ul>
</div>`;
}

export interface TextFieldOptions {
  name: string;
  label: string;
  value: string | null | undefined;
  error?: string | undefined;
  hint?: string;
  type?: 'text' | 'email' | 'search' | 'date';
  required?: boolean;
  autocomplete?: string;
  maxlength?: number;
}

/** A labelled input; its hint and error are tied to it with aria-describedby. */
export function textField(options: TextFieldOptions): SafeHtml {
  const id = `field-${options.name}`;
  const described = [options.hint ? `${id}-hint` : null, options.error ? `${id}-error` : null].filter(
    (v): v is string => v !== null,
  );
  return html`<div class="field${options.error ? ' field-invalid' : ''}">
  <label for="${id}">${options.label}</label>
  ${options.hint && html`<p class="hint" id="${id}-hint">${options.hint}</p>`}
  ${options.error && html`<p class="field-error" id="${id}-error">${options.error}</p>`}
  <input id="${id}" name="${options.name}" type="${options.type ?? 'text'}" value="${options.value ?? ''}"${raw(
    options.required ? ' required' : '',
  )}${
    options.autocomplete ? html` autocomplete="${options.autocomplete}"` : raw(' autocomplete="off"')
  }${options.maxlength ? html` maxlength="${options.maxlength}"` : ''}${
    described.length > 0 ? html` aria-describedby="${described.join(' ')}"` : ''
  }${options.error ? raw(' aria-invalid="true"') : ''}>
</div>`;
}

export interface SelectOption {
  value: string;
  text: string;
}

export function selectField(options: {
  name: string;
  label: string;
  value: string | undefined;
  choices: SelectOption[];
  error?: string | undefined;
  id?: string;
}): SafeHtml {
  const id = options.id ?? `field-${options.name}`;
  return html`<div class="field${options.error ? ' field-invalid' : ''}">
  <label for="${id}">${options.label}</label>
  ${options.error && html`<p class="field-error" id="${id}-error">${options.error}</p>`}
  <select id="${id}"
    name="${options.name}"${options.error ? html` aria-describedby="${id}-error" aria-invalid="true"` : ''}>
    ${options.choices.map(
      (choice) => html`<option
      value="${choice.value}"${choice.value === (options.value ?? '') ? raw(' selected') : ''}>${choice.text}</option>`,
    )}
  </select>
</div>`;
}

// ---------------------------------------------------------------------------------------------
// The "More options" menu button (WAI-ARIA APG menu button; behaviour in public/admin.js)

export interface MenuItem {
  href: string;
  text: string;
  danger?: boolean;
  /** For items that act on the current People selection: admin.js keeps the query up to date. */
  selectionBase?: string;
  /** Words shown after the label (what the item covers); a description, not part of its name. */
  note?: string;
}

/**
 * A menu button and its menu. The button and the menu start hidden and admin.js brings them to
 * life; without JavaScript the <noscript> list of plain links is there instead.
 */
export function moreOptionsMenu(
  locale: Locale,
  options: { id: string; items: MenuItem[]; describedBy?: string; visibleLabel?: boolean; align?: 'start' | 'end' },
): SafeHtml {
  const buttonId = `${options.id}-button`;
  const moreOptions = labelText(locale, 'moreOptions');
  const note = (entry: MenuItem, id: string): SafeHtml | '' =>
    entry.note ? html` <span class="menu-note" id="${id}" aria-hidden="true">${entry.note}</span>` : '';
  const item = (entry: MenuItem, role: boolean, index: number): SafeHtml => {
    const noteId = `${options.id}-note-${index}${role ? '' : '-fallback'}`;
    const describedBy = entry.note ? html` aria-describedby="${noteId}"` : '';
    return role
      ? html`<li role="none"><a role="menuitem" tabindex="-1"
        href="${entry.href}"${entry.danger ? raw(' class="danger"') : ''}${
          entry.selectionBase ? html` data-selection-base="${entry.selectionBase}"` : ''
        }${describedBy}>${entry.text}${note(entry, noteId)}</a></li>`
      : html`<li><a href="${entry.href}"${describedBy}>${entry.text}${note(entry, noteId)}</a></li>`;
  };
  return html`<div class="menu menu-${options.align ?? 'end'}" data-menu>
  <button type="button" class="menu-button${options.visibleLabel ? ' menu-button-labelled' : ''}" id="${buttonId}"
    aria-haspopup="menu" aria-expanded="false" aria-controls="${options.id}"${
      options.describedBy ? html` aria-describedby="${options.describedBy}"` : ''
    } hidden data-menu-button>${
      options.visibleLabel
        ? html`<span>${moreOptions}</span><span class="menu-caret" aria-hidden="true">▾</span>`
        : html`<span class="menu-dots" aria-hidden="true">⋯</span><span class="visually-hidden">${moreOptions}</span>`
    }</button>
  <ul class="menu-list" role="menu" id="${options.id}" aria-labelledby="${buttonId}" hidden>
    ${options.items.map((entry, index) => item(entry, true, index))}
  </ul>
  <noscript><ul class="menu-fallback">${options.items.map((entry, index) => item(entry, false, index))}</ul></noscript>
</div>`;
}

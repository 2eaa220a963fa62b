import type { PersonRole } from '../db/schema.js';
import { csrfField } from '../http/forms.js';
import { html, raw, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import type { Person } from '../people/person.js';
import { CODE_STATES, PERSON_STATUSES } from '../people/people-query.js';
import type { PeopleFilter } from '../people/people.store.js';
import { requestsText, twoPersonNotice } from './admin-code-requests.views.js';
import {
  adminText,
  codeStateBadge,
  errorSummary,
  filterParams,
  formatNumber,
  filterSummary,
  moreOptionsMenu,
  notice,
  peopleCount,
  roleText,
  selectField,
  statusText,
  codeStateText,
  textField,
  timeElement,
  withQuery,
  type FieldErrors,
  type MenuItem,
} from './admin.views.js';
import {
  firstRunChecklist,
  guideText,
  personAddedNotice,
  startOverLink,
  type FirstRunState,
} from './admin-guide.views.js';

export const peopleText = defineMessages({
  en: {
    newestFirst: 'Many people match: the newest come first. Type more letters for an alphabetical list.',
    search: 'Search',
    searchHint:
      'Name, username, email or employee id. One or two letters find words that start with them; ' +
      'three or more find them anywhere.',
    any: 'Any',
    hasEmail: 'Has email',
    noEmail: 'No email',
    filters: 'Filters',
    apply: 'Show',
    clear: 'Clear filters',
    actions: 'Actions',
    noResults: 'No one matches these filters.',
    nextPage: 'Next page',
    firstPage: 'First page',
    pages: 'Pages',
    getAccessCodesSelection: 'Get access codes for this selection',
    deactivateAccessCodesSelection: 'Deactivate access codes for this selection',
    peopleMenu: 'People',
    departmentLocation: 'Department / location',
    doneCodeDeactivated: 'The access code was deactivated.',
    doneCodesDeactivated: '{count} access codes were deactivated.',
    donePersonAdded: 'The person was added.',
    donePersonSaved: 'Your changes were saved.',
    donePersonDeactivated: 'The person was deactivated: signed out everywhere, and their access code no longer works.',
    doneSessionsEnded: 'Signed out on all devices (devices: {count}).',
    editTitle: 'Edit person',
    addTitle: 'Add person',
    save: 'Save changes',
    usernameHint: 'Leave empty to let the person choose one when they first use their access code.',
    identityHint: 'Give at least one of username, email or employee id.',
    roleHint: 'Admins can use this admin panel.',
    account: 'Account',
    created: 'Added',
    claimed: 'Claimed',
    lastSignIn: 'Last signed in',
    sessions: 'Signed in on',
    sessionsCount: '{count} devices',
    sessionsOne: '1 device',
    never: 'Never',
    personActions: 'Actions',
    auditForPerson: 'Audit log for this person',
    endSessionsHint: 'Signs the person out on every device.',
    deactivateTitle: 'Deactivate {name}?',
    deactivateText:
      'They will be signed out everywhere, their access code will stop working, and they will no longer be able to ' +
      'sign in.',
    deactivateKeep: 'The person and their history stay in the audit log.',
    deactivateSelf: 'This is your own account: you will be signed out at once.',
    alreadyDeactivated: 'This person is deactivated.',
  },
  sv: {
    newestFirst:
      'Många personer matchar: de senast tillagda visas först. Skriv fler bokstäver för en alfabetisk lista.',
    search: 'Sök',
    searchHint:
      'Namn, användarnamn, e-post eller anställningsnummer. En eller två bokstäver hittar ord som ' +
      'börjar med dem; tre eller fler hittar dem var som helst.',
    any: 'Alla',
    hasEmail: 'Har e-post',
    noEmail: 'Saknar e-post',
    filters: 'Filter',
    apply: 'Visa',
    clear: 'Rensa filter',
    actions: 'Åtgärder',
    noResults: 'Ingen matchar de här filtren.',
    nextPage: 'Nästa sida',
    firstPage: 'Första sidan',
    pages: 'Sidor',
    getAccessCodesSelection: 'Hämta åtkomstkoder för urvalet',
    deactivateAccessCodesSelection: 'Inaktivera åtkomstkoder för urvalet',
    peopleMenu: 'Personer',
    departmentLocation: 'Avdelning / plats',
    doneCodeDeactivated: 'Åtkomstkoden inaktiverades.',
    doneCodesDeactivated: '{count} åtkomstkoder inaktiverades.',
    donePersonAdded: 'Personen lades till.',
    donePersonSaved: 'Ändringarna sparades.',
    donePersonDeactivated: 'Personen inaktiverades: utloggad överallt, och åtkomstkoden fungerar inte längre.',
    doneSessionsEnded: 'Utloggad från alla enheter (enheter: {count}).',
    editTitle: 'Redigera person',
    addTitle: 'Lägg till person',
    save: 'Spara ändringar',
    usernameHint: 'Lämna tomt så väljer personen ett när hen använder sin åtkomstkod första gången.',
    identityHint: 'Ange minst ett av användarnamn, e-post eller anställningsnummer.',
    roleHint: 'Administratörer kan använda adminpanelen.',
    account: 'Konto',
    created: 'Tillagd',
    claimed: 'Aktiverad',
    lastSignIn: 'Senast inloggad',
    sessions: 'Inloggad på',
    sessionsCount: '{count} enheter',
    sessionsOne: '1 enhet',
    never: 'Aldrig',
    personActions: 'Åtgärder',
    auditForPerson: 'Granskningslogg för personen',
    endSessionsHint: 'Loggar ut personen på alla enheter.',
    deactivateTitle: 'Inaktivera {name}?',
    deactivateText: 'Personen loggas ut överallt, åtkomstkoden slutar fungera och personen kan inte längre logga in.',
    deactivateKeep: 'Personen och historiken finns kvar i granskningsloggen.',
    deactivateSelf: 'Det här är ditt eget konto: du loggas ut direkt.',
    alreadyDeactivated: 'Personen är inaktiverad.',
  },
});

// ---------------------------------------------------------------------------------------------
// The directory

export interface PeopleListModel {
  locale: Locale;
  filter: PeopleFilter;
  facets: { departments: string[]; locations: string[]; areas: { id: string; name: string }[] };
  people: Person[];
  total: { count: number; capped: boolean };
  /** A large text search comes newest first rather than in name order (see NAME_ORDER_LIMIT). */
  newestFirst: boolean;
  /** The cursor of the next page; null on the last page. */
  nextCursor: string | null;
  /** Whether this is a later page (a "First page" link is offered). */
  paged: boolean;
  /** A notice after an action (PRG), already in words. */
  done: string | null;
  /** A manager's view (SPEC §9): narrowed to their areas, codes for members only. */
  manager?: { selfId: string; areas: number };
  /** An admin's view: requests waiting for their approval, or why the two-person rule is off. */
  twoPerson?: { awaiting: number; ruleOff: boolean };
  /** Open requests for a new code this viewer should act on (code-requests.views.ts). */
  requests?: SafeHtml | null;
  /** The first admin's checklist; null once done or hidden. */
  firstRun?: FirstRunState | null;
  /** How many people have no email: what "Get access codes" covers. */
  withoutEmail?: { count: number; capped: boolean };
}

/** Whether a manager may act on this person's code: members of their areas only, never themselves. */
export function managerMayAct(manager: { selfId: string } | undefined, person: Person): boolean {
  return !manager || (person.role === 'member' && person.id !== manager.selfId);
}

function ms(iso: string | null): number | null {
  return iso === null ? null : Date.parse(iso);
}

export function personMenuItems(
  locale: Locale,
  person: Person,
  returnTo: string,
  manager?: { selfId: string },
): MenuItem[] {
  const back = `?return=${encodeURIComponent(returnTo)}`;
  const items: MenuItem[] = [];
  const mayAct = managerMayAct(manager, person);
  if (person.status !== 'deactivated' && mayAct)
    items.push({ href: `/admin/people/${person.id}/access-code${back}`, text: labelText(locale, 'getAccessCode') });
  if (person.codeState === 'active' && mayAct)
    items.push({
      href: `/admin/people/${person.id}/access-code/deactivate${back}`,
      text: labelText(locale, 'deactivateAccessCode'),
    });
  if (manager) return items;
  items.push({ href: `/admin/people/${person.id}`, text: adminText(locale, 'edit') });
  if (person.status !== 'deactivated')
    items.push({
      href: `/admin/people/${person.id}/deactivate`,
      text: adminText(locale, 'deactivatePerson'),
      danger: true,
    });
  return items;
}

function personRow(locale: Locale, person: Person, returnTo: string, manager?: { selfId: string }): SafeHtml {
  const items = personMenuItems(locale, person, returnTo, manager);
  const place = [person.department, person.location].filter((part): part is string => !!part).join(' / ');
  const dash = adminText(locale, 'none');
  return html`<tr>
  <th scope="row" id="person-${person.id}"><a
    href="/admin/people/${person.id}">${person.name}</a>${
      person.title &&
      html`<span
    class="row-sub">${person.title}</span>`
    }${person.role !== 'member' ? html`<span class="tag">${roleText(locale, person.role)}</span>` : ''}</th>
  <td class="mono" data-label="${adminText(locale, 'username')}">${person.username ?? dash}</td>
  <td data-label="${adminText(locale, 'employeeId')}">${person.employeeId ?? dash}</td>
  <td class="break" data-label="${adminText(locale, 'email')}">${person.email ?? dash}</td>
  <td data-label="${peopleText(locale, 'departmentLocation')}">${place || dash}</td>
  <td data-label="${adminText(locale, 'status')}"><span
    class="status status-${person.status}">${statusText(locale, person.status)}</span></td>
  <td data-label="${adminText(locale, 'accessCodeState')}">${codeStateBadge(
    locale,
    person.codeState,
    ms(person.codeExpiresAt),
  )}</td>
  <td class="cell-menu">${
    items.length > 0 && moreOptionsMenu(locale, { id: `menu-${person.id}`, items, describedBy: `person-${person.id}` })
  }</td>
</tr>`;
}

/** The part that search-as-you-type replaces: the count, the table and the paging links. */
export function peopleResults(model: PeopleListModel, returnTo: string): SafeHtml {
  const { locale, filter } = model;
  const t = (key: Parameters<typeof peopleText>[1], vars?: Record<string, string | number>): string =>
    peopleText(locale, key, vars);
  const params = filterParams(filter);
  const next = model.nextCursor
    ? withQuery('/admin/people', new URLSearchParams([...params, ['cursor', model.nextCursor]]))
    : null;
  const first = model.paged ? withQuery('/admin/people', params) : null;
  const table =
    model.people.length === 0
      ? html`<p class="empty">${t('noResults')}</p>`
      : html`<div class="table-wrap" role="region" aria-labelledby="people-caption" tabindex="0">
<table class="people-table">
  <caption id="people-caption"
    class="visually-hidden">${labelText(locale, 'people')}: ${filterSummary(locale, filter, areaNames(model))}</caption>
  <thead><tr>
    <th scope="col">${adminText(locale, 'name')}</th>
    <th scope="col">${adminText(locale, 'username')}</th>
    <th scope="col">${adminText(locale, 'employeeId')}</th>
    <th scope="col">${adminText(locale, 'email')}</th>
    <th scope="col">${t('departmentLocation')}</th>
    <th scope="col">${adminText(locale, 'status')}</th>
    <th scope="col">${adminText(locale, 'accessCodeState')}</th>
    <th scope="col"><span class="visually-hidden">${t('actions')}</span></th>
  </tr></thead>
  <tbody>${model.people.map((person) => personRow(locale, person, returnTo, model.manager))}</tbody>
</table>
</div>`;
  const count = peopleCount(locale, model.total.count, model.total.capped);
  return html`<p class="result-count" id="people-count" data-count-text="${count}">${count}</p>
${model.newestFirst && html`<p class="hint">${t('newestFirst')}</p>`}
${table}
${
  (next || first) &&
  html`<nav class="pager" aria-label="${t('pages')}"><ul>${
    first && html`<li><a href="${first}">${t('firstPage')}</a></li>`
  }${next && html`<li><a href="${next}" rel="next">${t('nextPage')}</a></li>`}</ul></nav>`
}`;
}

/** The chosen area's name, from the filter menu's areas (which always hold the chosen one). */
function areaNames(model: PeopleListModel): { area?: string } {
  const area = model.facets.areas.find((a) => a.id === model.filter.area);
  return area ? { area: area.name } : {};
}

function filterForm(model: PeopleListModel): SafeHtml {
  const { locale, filter, facets } = model;
  const t = (key: Parameters<typeof peopleText>[1]): string => peopleText(locale, key);
  const any = { value: '', text: t('any') };
  const hasEmail = filter.hasEmail === undefined ? '' : String(filter.hasEmail);
  // Filters set besides the search text: the folded filters' summary counts them (phones).
  const active = Object.entries(filter).filter(([key, value]) => key !== 'q' && value !== undefined).length;
  // A department or location chosen earlier stays selectable even if no one has it any more.
  const withCurrent = (list: string[], current: string | undefined): string[] =>
    current && !list.includes(current) ? [current, ...list] : list;
  return html`<form method="get" action="/admin/people" class="filters" role="search" aria-label="${t('filters')}"
    data-people-filters>
  <div class="field field-search">
    <label for="field-q">${t('search')}</label>
    <p class="hint" id="field-q-hint">${t('searchHint')}</p>
    <input id="field-q" name="q" type="search" value="${filter.q ?? ''}" autocomplete="off" maxlength="200"
      aria-describedby="field-q-hint" aria-controls="people-results">
  </div>
  <details class="filters-fold" open data-fold-filters data-active="${active}">
  <summary>${t('filters')}${active > 0 ? ` (${active})` : ''}</summary>
  <div class="filter-row">
    ${selectField({
      name: 'hasEmail',
      label: adminText(locale, 'email'),
      value: hasEmail,
      choices: [any, { value: 'true', text: t('hasEmail') }, { value: 'false', text: t('noEmail') }],
    })}
    ${selectField({
      name: 'status',
      label: adminText(locale, 'status'),
      value: filter.status,
      choices: [any, ...PERSON_STATUSES.map((s) => ({ value: s, text: statusText(locale, s) }))],
    })}
    ${selectField({
      name: 'codeState',
      label: adminText(locale, 'accessCodeState'),
      value: filter.codeState,
      choices: [any, ...CODE_STATES.map((s) => ({ value: s, text: codeStateText(locale, s) }))],
    })}
    ${selectField({
      name: 'department',
      label: adminText(locale, 'department'),
      value: filter.department,
      choices: [any, ...withCurrent(facets.departments, filter.department).map((d) => ({ value: d, text: d }))],
    })}
    ${selectField({
      name: 'location',
      label: adminText(locale, 'location'),
      value: filter.location,
      choices: [any, ...withCurrent(facets.locations, filter.location).map((l) => ({ value: l, text: l }))],
    })}
    ${
      facets.areas.length > 0 &&
      selectField({
        name: 'area',
        label: labelText(locale, 'areas'),
        value: filter.area,
        choices: [any, ...facets.areas.map((a) => ({ value: a.id, text: a.name }))],
      })
    }
  </div>
  <div class="actions actions-tight">
    <button type="submit" class="button-small">${t('apply')}</button>
    <a href="/admin/people" class="button button-small button-secondary">${t('clear')}</a>
  </div>
  </details>
</form>`;
}

export function peopleListPage(model: PeopleListModel, returnTo: string, csrfToken = ''): SafeHtml {
  const { locale, filter } = model;
  const t = (key: Parameters<typeof peopleText>[1]): string => peopleText(locale, key);
  const params = filterParams(filter);
  const selection = (base: string): string => withQuery(base, new URLSearchParams([...params, ['selection', '1']]));
  if (model.manager) return managerListPage(model, returnTo);
  const topItems: MenuItem[] = [
    {
      href: '/admin/access-codes/issue?hasEmail=false',
      text: labelText(locale, 'getAccessCodes'),
      // The contract label, then what it covers: everyone without an email address.
      note: guideText(locale, 'everyoneWithoutEmail', {
        count: `${formatNumber(locale, model.withoutEmail?.count ?? 0)}${model.withoutEmail?.capped ? '+' : ''}`,
      }),
    },
    {
      href: selection('/admin/access-codes/issue'),
      text: t('getAccessCodesSelection'),
      selectionBase: '/admin/access-codes/issue',
    },
    {
      href: selection('/admin/access-codes/deactivate'),
      text: t('deactivateAccessCodesSelection'),
      danger: true,
      selectionBase: '/admin/access-codes/deactivate',
    },
  ];
  topItems.push({ href: '/admin/people/new', text: adminText(locale, 'addPerson') });
  topItems.push({ href: '/admin/people/import', text: adminText(locale, 'importPeople') });
  return html`<div class="page-head">
  <h1>${labelText(locale, 'people')}</h1>
  <div class="page-head-actions">
    <a class="button button-small button-secondary" href="/admin/people/new">${adminText(locale, 'addPerson')}</a>
    ${moreOptionsMenu(locale, { id: 'people-menu', items: topItems, visibleLabel: true })}
  </div>
</div>
${model.done && notice('success', model.done)}
${model.firstRun && firstRunChecklist(locale, csrfToken, model.firstRun)}
${model.twoPerson && twoPersonNotice(locale, model.twoPerson)}
${model.requests}
${filterForm(model)}
<p class="visually-hidden" role="status" id="people-status"></p>
<div id="people-results" data-people-results>
${peopleResults(model, returnTo)}
</div>`;
}

/** A manager's People page: their areas only; codes for the group, nothing that edits people. */
function managerListPage(model: PeopleListModel, returnTo: string): SafeHtml {
  const { locale } = model;
  const r = (key: Parameters<typeof requestsText>[1]): string => requestsText(locale, key);
  return html`<div class="page-head">
  <h1>${labelText(locale, 'people')}</h1>
  <div class="page-head-actions">
    <a class="button button-small button-secondary"
      href="/admin/access-codes/issue?hasEmail=false">${labelText(locale, 'getAccessCodes')}</a>
  </div>
</div>
<p class="hint" id="manager-scope">${model.manager!.areas === 0 ? r('managerNoAreas') : r('managerScope')}</p>
${model.done && notice('success', model.done)}
${model.requests}
${filterForm(model)}
<p class="visually-hidden" role="status" id="people-status"></p>
<div id="people-results" data-people-results>
${peopleResults(model, returnTo)}
</div>`;
}

// ---------------------------------------------------------------------------------------------
// Add / edit

export interface PersonFormValues {
  name: string;
  username: string;
  email: string;
  employeeId: string;
  department: string;
  location: string;
  title: string;
  role: PersonRole;
}

export function personFormValues(person: Person | null): PersonFormValues {
  return {
    name: person?.name ?? '',
    username: person?.username ?? '',
    email: person?.email ?? '',
    employeeId: person?.employeeId ?? '',
    department: person?.department ?? '',
    location: person?.location ?? '',
    title: person?.title ?? '',
    role: person?.role ?? 'member',
  };
}

export interface PersonFormModel {
  locale: Locale;
  csrfToken: string;
  values: PersonFormValues;
  errors: FieldErrors;
  /** Present when editing. */
  person: Person | null;
  sessions: number;
  done: string | null;
  /** The person's areas panel (admin-areas.views.ts), on their page. */
  areas?: SafeHtml | null;
  /** A manager sees the person (of their areas) without the form: codes only, for members. */
  manager?: { selfId: string };
  /** Just added: the notice carries "Get access code now". */
  added?: boolean;
}

function fieldLabels(locale: Locale): Record<string, string> {
  return {
    name: adminText(locale, 'name'),
    username: adminText(locale, 'username'),
    email: adminText(locale, 'email'),
    employeeId: adminText(locale, 'employeeId'),
    department: adminText(locale, 'department'),
    location: adminText(locale, 'location'),
    title: adminText(locale, 'title'),
    role: adminText(locale, 'role'),
  };
}

function accountPanel(model: PersonFormModel, person: Person): SafeHtml {
  const { locale } = model;
  const t = (key: Parameters<typeof peopleText>[1], vars?: Record<string, string | number>): string =>
    peopleText(locale, key, vars);
  const when = (iso: string | null): SafeHtml | string => (iso ? timeElement(locale, Date.parse(iso)) : t('never'));
  const back = `?return=${encodeURIComponent(`/admin/people/${person.id}`)}`;
  return html`<section class="card" aria-labelledby="account-heading">
  <h2 id="account-heading">${t('account')}</h2>
  <dl class="facts">
    <dt>${adminText(locale, 'status')}</dt><dd><span
      class="status status-${person.status}">${statusText(locale, person.status)}</span></dd>
    <dt>${adminText(locale, 'accessCodeState')}</dt>
    <dd>${codeStateBadge(locale, person.codeState, ms(person.codeExpiresAt))}</dd>
    <dt>${t('created')}</dt><dd>${when(person.createdAt)}</dd>
    <dt>${t('claimed')}</dt><dd>${when(person.claimedAt)}</dd>
    <dt>${t('lastSignIn')}</dt><dd>${when(person.lastSignInAt)}</dd>
    <dt>${t('sessions')}</dt>
    <dd>${model.sessions === 1 ? t('sessionsOne') : t('sessionsCount', { count: model.sessions })}</dd>
  </dl>
  <h3>${t('personActions')}</h3>
  <ul class="action-list">
    ${
      person.status !== 'deactivated' &&
      html`<li><a
      href="/admin/people/${person.id}/access-code${back}">${labelText(locale, 'getAccessCode')}</a></li>`
    }
    ${
      person.codeState === 'active' &&
      html`<li><a
      href="/admin/people/${person.id}/access-code/deactivate${back}">${labelText(
        locale,
        'deactivateAccessCode',
      )}</a></li>`
    }
    ${person.status !== 'deactivated' && startOverLink(locale, person)}
    <li><a
      href="/admin/audit?person=${encodeURIComponent(person.username ?? person.id)}">${t('auditForPerson')}</a></li>
    ${
      person.status !== 'deactivated' &&
      html`<li><a class="danger"
      href="/admin/people/${person.id}/deactivate">${adminText(locale, 'deactivatePerson')}</a></li>`
    }
  </ul>
  <form method="post" action="/admin/people/${person.id}/sessions/end" class="end-sessions">
    ${csrfField(model.csrfToken)}
    <p class="hint" id="end-sessions-hint">${t('endSessionsHint')}</p>
    <button type="submit" class="button-small button-secondary"
      aria-describedby="end-sessions-hint"
      ${model.sessions === 0 ? raw(' disabled') : ''}>${adminText(locale, 'endSessions')}</button>
  </form>
</section>`;
}

/** What a manager sees of a person of their areas: the details, read only, and the code actions. */
function managerPersonPage(model: PersonFormModel, person: Person): SafeHtml {
  const { locale } = model;
  const t = (key: Parameters<typeof peopleText>[1]): string => peopleText(locale, key);
  const r = (key: Parameters<typeof requestsText>[1]): string => requestsText(locale, key);
  const dash = adminText(locale, 'none');
  const back = `?return=${encodeURIComponent(`/admin/people/${person.id}`)}`;
  const mayAct = managerMayAct(model.manager, person);
  const row = (label: string, value: string | null): SafeHtml => html`<dt>${label}</dt><dd>${value ?? dash}</dd>`;
  return html`<p class="breadcrumb"><a href="/admin/people">${labelText(locale, 'people')}</a></p>
<h1>${person.name}</h1>
${model.done && notice('success', model.done)}
${person.status === 'deactivated' && notice('warning', t('alreadyDeactivated'))}
<section class="card" aria-labelledby="details-heading">
  <h2 id="details-heading">${t('account')}</h2>
  <dl class="facts">
    ${row(adminText(locale, 'username'), person.username)}
    ${row(adminText(locale, 'employeeId'), person.employeeId)}
    ${row(adminText(locale, 'email'), person.email)}
    ${row(adminText(locale, 'department'), person.department)}
    ${row(adminText(locale, 'location'), person.location)}
    ${row(adminText(locale, 'title'), person.title)}
    ${row(adminText(locale, 'role'), roleText(locale, person.role))}
    <dt>${adminText(locale, 'status')}</dt><dd><span
      class="status status-${person.status}">${statusText(locale, person.status)}</span></dd>
    <dt>${adminText(locale, 'accessCodeState')}</dt>
    <dd>${codeStateBadge(locale, person.codeState, ms(person.codeExpiresAt))}</dd>
  </dl>
  <p class="hint">${r('managerReadOnly')}</p>
  ${
    mayAct
      ? html`<ul class="action-list">
    ${
      person.status !== 'deactivated' &&
      html`<li><a class="button"
      href="/admin/people/${person.id}/access-code${back}">${labelText(locale, 'getAccessCode')}</a></li>`
    }
    ${
      person.codeState === 'active' &&
      html`<li><a
      href="/admin/people/${person.id}/access-code/deactivate${back}">${labelText(
        locale,
        'deactivateAccessCode',
      )}</a></li>`
    }
  </ul>`
      : html`<p>${r('managerNotMember')}</p>`
  }
</section>`;
}

export function personFormPage(model: PersonFormModel): SafeHtml {
  if (model.manager && model.person) return managerPersonPage(model, model.person);
  const { locale, values, errors, person } = model;
  const t = (key: Parameters<typeof peopleText>[1]): string => peopleText(locale, key);
  const labels = fieldLabels(locale);
  const action = person ? `/admin/people/${person.id}` : '/admin/people/new';
  const form = html`<form method="post" action="${action}" class="person-form" novalidate>
  ${csrfField(model.csrfToken)}
  ${textField({
    name: 'name',
    label: labels.name!,
    value: values.name,
    error: errors.name,
    required: true,
    maxlength: 200,
  })}
  <p class="hint">${t('identityHint')}</p>
  ${textField({
    name: 'username',
    label: labels.username!,
    value: values.username,
    error: errors.username,
    hint: t('usernameHint'),
    maxlength: 64,
  })}
  ${textField({
    name: 'email',
    label: labels.email!,
    value: values.email,
    error: errors.email,
    type: 'email',
    maxlength: 254,
  })}
  ${textField({
    name: 'employeeId',
    label: labels.employeeId!,
    value: values.employeeId,
    error: errors.employeeId,
    maxlength: 64,
  })}
  ${textField({
    name: 'department',
    label: labels.department!,
    value: values.department,
    error: errors.department,
    maxlength: 200,
  })}
  ${textField({
    name: 'location',
    label: labels.location!,
    value: values.location,
    error: errors.location,
    maxlength: 200,
  })}
  ${textField({ name: 'title', label: labels.title!, value: values.title, error: errors.title, maxlength: 200 })}
  <fieldset class="field${errors.role ? ' field-invalid' : ''}"
    aria-describedby="field-role-hint${errors.role ? ' field-role-error' : ''}">
    <legend>${labels.role}</legend>
    <p class="hint" id="field-role-hint">${t('roleHint')}</p>
    ${errors.role && html`<p class="field-error" id="field-role-error">${errors.role}</p>`}
    <label class="checkbox"><input type="radio" name="role" value="member"
      id="field-role"${values.role === 'member' ? raw(' checked') : ''}> ${roleText(locale, 'member')}</label>
    ${
      // An area's manager (made one on the Areas page) keeps that role when the form is saved.
      values.role === 'manager' &&
      html`<label class="checkbox"><input type="radio" name="role" value="manager" checked> ${roleText(
        locale,
        'manager',
      )}</label>`
    }
    <label class="checkbox"><input type="radio" name="role"
      value="admin"${values.role === 'admin' ? raw(' checked') : ''}> ${roleText(locale, 'admin')}</label>
  </fieldset>
  <div class="actions">
    <button type="submit">${person ? t('save') : adminText(locale, 'addPerson')}</button>
    <a class="button button-secondary" href="/admin/people">${adminText(locale, 'cancel')}</a>
  </div>
</form>`;
  return html`<p class="breadcrumb"><a href="/admin/people">${labelText(locale, 'people')}</a></p>
<h1>${person ? person.name : t('addTitle')}</h1>
${
  model.done &&
  (model.added && person && person.status !== 'deactivated'
    ? personAddedNotice(locale, person, model.done)
    : notice('success', model.done))
}
${person?.status === 'deactivated' && notice('warning', t('alreadyDeactivated'))}
${errorSummary(locale, errors, labels)}
<div class="${person ? 'two-columns' : ''}">
  <section aria-labelledby="form-heading">
    <h2
      id="form-heading"${person ? '' : raw(' class="visually-hidden"')}>${person ? t('editTitle') : t('addTitle')}</h2>
    ${form}
  </section>
  ${person && accountPanel(model, person)}
</div>
${model.areas}`;
}

// ---------------------------------------------------------------------------------------------
// Deactivate a person

export function deactivatePersonPage(options: {
  locale: Locale;
  csrfToken: string;
  person: Person;
  self: boolean;
}): SafeHtml {
  const { locale, person } = options;
  const t = (key: Parameters<typeof peopleText>[1], vars?: Record<string, string | number>): string =>
    peopleText(locale, key, vars);
  return html`<p class="breadcrumb"><a href="/admin/people">${labelText(locale, 'people')}</a> › <a
    href="/admin/people/${person.id}">${person.name}</a></p>
<h1>${t('deactivateTitle', { name: person.name })}</h1>
${options.self && notice('warning', t('deactivateSelf'))}
<p>${t('deactivateText')}</p>
<p class="muted">${t('deactivateKeep')}</p>
<form method="post" action="/admin/people/${person.id}/deactivate">
  ${csrfField(options.csrfToken)}
  <div class="actions">
    <button type="submit" class="button-danger">${adminText(locale, 'deactivatePerson')}</button>
    <a class="button button-secondary" href="/admin/people/${person.id}">${adminText(locale, 'cancel')}</a>
  </div>
</form>`;
}

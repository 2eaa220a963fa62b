// The Areas pages (SPEC §9): the list with counts and a form to create one; an area's page with
// rename, its members and managers (add by searching a person, remove), and delete behind a
// confirmation; and the areas panel on a person's page. Plain forms: every action works
// without JavaScript, by keyboard, and on a phone.
import type { Area, AreaRef } from '../areas/area.js';
import type { AreaPersonRow } from '../areas/areas.store.js';
import { csrfField } from '../http/forms.js';
import { html, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import type { Person } from '../people/person.js';
import { adminText, formatNumber, notice, roleText, statusText, textField, withQuery } from './admin.views.js';

export const areasText = defineMessages({
  en: {
    intro:
      'An area is a group of people: a store, a ward, a depot. People can belong to several. An area’s ' +
      'managers hand out access codes to its members.',
    newArea: 'New area',
    areaName: 'Area name',
    areaNameHint: 'Up to 100 characters. Names differing only in capital letters are the same area.',
    create: 'Create area',
    findArea: 'Find an area',
    find: 'Find',
    members: 'Members',
    managers: 'Managers',
    noAreas: 'There are no areas yet.',
    noMatches: 'No area matches.',
    areaCount: '{count} areas',
    rename: 'Rename',
    renameTitle: 'Name',
    save: 'Save name',
    deleteArea: 'Delete area',
    deleteTitle: 'Delete the area {name}?',
    deleteText:
      'The area and its list of members and managers are deleted. Its {members} members and {managers} managers ' +
      'stay in Keyslip; only their membership of this area ends.',
    deleteKeep: 'The audit log keeps the area’s name and history.',
    showInPeople: 'Show the members on People',
    noMembers: 'No members yet.',
    noManagers: 'No managers yet.',
    remove: 'Remove',
    removeMemberLabel: 'Remove {name} from the members',
    removeManagerLabel: 'Remove {name} from the managers',
    addPeople: 'Add people',
    addPeopleHint: 'Search by name, username, email or employee id.',
    search: 'Search',
    noPeopleFound: 'No one matches “{q}”.',
    addMember: 'Add as member',
    addManager: 'Add as manager',
    addMemberLabel: 'Add {name} as member',
    addManagerLabel: 'Add {name} as manager',
    isMember: 'Member',
    isManager: 'Manager',
    managerHint:
      'A person added as manager whose role is Member becomes a Manager. An admin stays an admin. Removing a ' +
      'manager keeps their role.',
    nextPage: 'Next page',
    firstPage: 'First page',
    pages: 'Pages',
    doneCreated: 'The area was created.',
    doneRenamed: 'The area was renamed.',
    doneDeleted: 'The area was deleted.',
    doneMemberAdded: 'Added to the members.',
    doneMemberRemoved: 'Removed from the members.',
    doneManagerAdded: 'Added to the managers.',
    doneManagerRemoved: 'Removed from the managers.',
    personAreas: 'Areas',
    personNoAreas: 'Not in any area.',
    personManages: 'Manages',
    addToArea: 'Add to area',
    addToAreaHint: 'The name of an existing area.',
    removeFromAreaLabel: 'Remove from {name}',
    donePersonAreaAdded: 'Added to the area.',
    donePersonAreaRemoved: 'Removed from the area.',
  },
  sv: {
    intro:
      'Ett område är en grupp personer: en butik, en avdelning, ett lager. En person kan höra till flera. ' +
      'Områdets chefer delar ut åtkomstkoder till dess medlemmar.',
    newArea: 'Nytt område',
    areaName: 'Områdets namn',
    areaNameHint: 'Högst 100 tecken. Namn som bara skiljer sig i stora och små bokstäver är samma område.',
    create: 'Skapa område',
    findArea: 'Hitta ett område',
    find: 'Sök',
    members: 'Medlemmar',
    managers: 'Chefer',
    noAreas: 'Det finns inga områden än.',
    noMatches: 'Inget område matchar.',
    areaCount: '{count} områden',
    rename: 'Byt namn',
    renameTitle: 'Namn',
    save: 'Spara namnet',
    deleteArea: 'Ta bort område',
    deleteTitle: 'Ta bort området {name}?',
    deleteText:
      'Området och dess lista över medlemmar och chefer tas bort. Dess {members} medlemmar och {managers} chefer ' +
      'finns kvar i Keyslip; bara deras tillhörighet till området upphör.',
    deleteKeep: 'Granskningsloggen behåller områdets namn och historik.',
    showInPeople: 'Visa medlemmarna under Personer',
    noMembers: 'Inga medlemmar än.',
    noManagers: 'Inga chefer än.',
    remove: 'Ta bort',
    removeMemberLabel: 'Ta bort {name} från medlemmarna',
    removeManagerLabel: 'Ta bort {name} från cheferna',
    addPeople: 'Lägg till personer',
    addPeopleHint: 'Sök på namn, användarnamn, e-post eller anställningsnummer.',
    search: 'Sök',
    noPeopleFound: 'Ingen matchar ”{q}”.',
    addMember: 'Lägg till som medlem',
    addManager: 'Lägg till som chef',
    addMemberLabel: 'Lägg till {name} som medlem',
    addManagerLabel: 'Lägg till {name} som chef',
    isMember: 'Medlem',
    isManager: 'Chef',
    managerHint:
      'En person som läggs till som chef och har rollen Medlem blir Chef. En administratör förblir ' +
      'administratör. Den som tas bort som chef behåller sin roll.',
    nextPage: 'Nästa sida',
    firstPage: 'Första sidan',
    pages: 'Sidor',
    doneCreated: 'Området har skapats.',
    doneRenamed: 'Området har bytt namn.',
    doneDeleted: 'Området har tagits bort.',
    doneMemberAdded: 'Tillagd bland medlemmarna.',
    doneMemberRemoved: 'Borttagen från medlemmarna.',
    doneManagerAdded: 'Tillagd bland cheferna.',
    doneManagerRemoved: 'Borttagen från cheferna.',
    personAreas: 'Områden',
    personNoAreas: 'Inte med i något område.',
    personManages: 'Chef för',
    addToArea: 'Lägg till i område',
    addToAreaHint: 'Namnet på ett befintligt område.',
    removeFromAreaLabel: 'Ta bort från {name}',
    donePersonAreaAdded: 'Tillagd i området.',
    donePersonAreaRemoved: 'Borttagen från området.',
  },
});

export type AreasKey = Parameters<typeof areasText>[1];

function pager(locale: Locale, options: { first: string | null; next: string | null }): SafeHtml | null {
  if (!options.first && !options.next) return null;
  const t = (key: AreasKey): string => areasText(locale, key);
  return html`<nav class="pager" aria-label="${t('pages')}"><ul>${
    options.first && html`<li><a href="${options.first}">${t('firstPage')}</a></li>`
  }${options.next && html`<li><a href="${options.next}" rel="next">${t('nextPage')}</a></li>`}</ul></nav>`;
}

// ---------------------------------------------------------------------------------------------
// The list

export interface AreasListModel {
  locale: Locale;
  csrfToken: string;
  areas: Area[];
  q: string | undefined;
  nextCursor: string | null;
  paged: boolean;
  /** The name typed into "New area", kept when it was refused. */
  name: string;
  error: string | undefined;
  done: string | null;
}

export function areasListPage(model: AreasListModel): SafeHtml {
  const { locale } = model;
  const t = (key: AreasKey, vars?: Record<string, string | number>): string => areasText(locale, key, vars);
  const base = new URLSearchParams(model.q ? [['q', model.q]] : []);
  const next = model.nextCursor
    ? withQuery('/admin/areas', new URLSearchParams([...base, ['cursor', model.nextCursor]]))
    : null;
  const first = model.paged ? withQuery('/admin/areas', base) : null;
  const table =
    model.areas.length === 0
      ? html`<p class="empty">${model.q ? t('noMatches') : t('noAreas')}</p>`
      : html`<div class="table-wrap" role="region" aria-labelledby="areas-caption" tabindex="0">
<table class="areas-table">
  <caption id="areas-caption" class="visually-hidden">${labelText(locale, 'areas')}</caption>
  <thead><tr>
    <th scope="col">${adminText(locale, 'name')}</th>
    <th scope="col" class="numeric">${t('members')}</th>
    <th scope="col" class="numeric">${t('managers')}</th>
  </tr></thead>
  <tbody>${model.areas.map(
    (area) => html`<tr>
    <td><a href="/admin/areas/${area.id}">${area.name}</a></td>
    <td class="numeric">${formatNumber(locale, area.memberCount)}</td>
    <td class="numeric">${formatNumber(locale, area.managerCount)}</td>
  </tr>`,
  )}</tbody>
</table>
</div>`;
  return html`<h1>${labelText(locale, 'areas')}</h1>
${model.done && notice('success', model.done)}
<p>${t('intro')}</p>
<section class="card" aria-labelledby="new-area-heading">
  <h2 id="new-area-heading">${t('newArea')}</h2>
  <form method="post" action="/admin/areas" novalidate>
    ${csrfField(model.csrfToken)}
    ${textField({
      name: 'name',
      label: t('areaName'),
      value: model.name,
      error: model.error,
      hint: t('areaNameHint'),
      required: true,
      maxlength: 100,
    })}
    <div class="actions"><button type="submit">${t('create')}</button></div>
  </form>
</section>
<form method="get" action="/admin/areas" class="filters" role="search" aria-label="${t('findArea')}">
  <div class="field field-search">
    <label for="field-q">${t('findArea')}</label>
    <input id="field-q" name="q" type="search" value="${model.q ?? ''}" autocomplete="off" maxlength="200">
  </div>
  <div class="actions actions-tight"><button type="submit" class="button-small">${t('find')}</button></div>
</form>
${table}
${pager(locale, { first, next })}`;
}

// ---------------------------------------------------------------------------------------------
// One area

export interface AreaPageModel {
  locale: Locale;
  csrfToken: string;
  area: Area;
  members: AreaPersonRow[];
  membersNext: string | null;
  membersPaged: boolean;
  managers: AreaPersonRow[];
  /** The "Add people" search: its text and the people it found (with what they already are). */
  find: string | undefined;
  found: { person: AreaPersonRow; member: boolean; manager: boolean }[];
  renameValue: string;
  renameError: string | undefined;
  /** An action refused (e.g. a deactivated person made manager), in words. */
  problem: string | null;
  done: string | null;
}

function personLabel(locale: Locale, person: AreaPersonRow): SafeHtml {
  const id = person.username ?? person.employee_id;
  return html`<a href="/admin/people/${person.id}">${person.name}</a>${id && html` <span class="muted">${id}</span>`}${
    person.status === 'deactivated' &&
    html` <span class="status status-deactivated">${statusText(locale, 'deactivated')}</span>`
  }`;
}

function removeForm(model: AreaPageModel, kind: 'members' | 'managers', person: AreaPersonRow): SafeHtml {
  const t = (key: AreasKey, vars?: Record<string, string>): string => areasText(model.locale, key, vars);
  const label = t(kind === 'members' ? 'removeMemberLabel' : 'removeManagerLabel', { name: person.name });
  return html`<form method="post" action="/admin/areas/${model.area.id}/${kind}/${person.id}/remove" class="inline">
  ${csrfField(model.csrfToken)}
  <button type="submit" class="button-small button-secondary" aria-label="${label}">${t('remove')}</button>
</form>`;
}

function peopleList(model: AreaPageModel, kind: 'members' | 'managers', rows: AreaPersonRow[]): SafeHtml {
  const t = (key: AreasKey): string => areasText(model.locale, key);
  if (rows.length === 0) return html`<p class="empty">${t(kind === 'members' ? 'noMembers' : 'noManagers')}</p>`;
  return html`<ul class="area-people">${rows.map(
    (person) =>
      html`<li><span class="area-person">${personLabel(model.locale, person)}${
        kind === 'managers' && html` <span class="muted">(${roleText(model.locale, person.role)})</span>`
      }</span>${removeForm(model, kind, person)}</li>`,
  )}</ul>`;
}

function addForms(model: AreaPageModel): SafeHtml {
  const { locale, area } = model;
  const t = (key: AreasKey, vars?: Record<string, string>): string => areasText(locale, key, vars);
  const results =
    model.find === undefined
      ? null
      : model.found.length === 0
        ? html`<p class="empty" role="status">${t('noPeopleFound', { q: model.find })}</p>`
        : html`<ul class="area-people" aria-label="${t('addPeople')}">${model.found.map(
            ({ person, member, manager }) => html`<li><span class="area-person">${personLabel(locale, person)}</span>
  <span class="area-add">${
    member
      ? html`<span class="badge">${t('isMember')}</span>`
      : html`<form method="post" action="/admin/areas/${area.id}/members" class="inline">
    ${csrfField(model.csrfToken)}<input type="hidden" name="personId" value="${person.id}">
    <input type="hidden" name="find" value="${model.find ?? ''}">
    <button type="submit" class="button-small"
      aria-label="${t('addMemberLabel', { name: person.name })}">${t('addMember')}</button>
  </form>`
  }${
    manager
      ? html`<span class="badge">${t('isManager')}</span>`
      : html`<form method="post" action="/admin/areas/${area.id}/managers" class="inline">
    ${csrfField(model.csrfToken)}<input type="hidden" name="personId" value="${person.id}">
    <input type="hidden" name="find" value="${model.find ?? ''}">
    <button type="submit" class="button-small button-secondary"
      aria-label="${t('addManagerLabel', { name: person.name })}">${t('addManager')}</button>
  </form>`
  }</span></li>`,
          )}</ul>`;
  return html`<section class="card" aria-labelledby="add-people-heading" id="add-people">
  <h2 id="add-people-heading">${t('addPeople')}</h2>
  <form method="get" action="/admin/areas/${area.id}#add-people" role="search" aria-label="${t('addPeople')}">
    <div class="field field-search">
      <label for="field-find">${t('search')}</label>
      <p class="hint" id="field-find-hint">${t('addPeopleHint')}</p>
      <input id="field-find" name="find" type="search" value="${model.find ?? ''}" autocomplete="off"
        maxlength="200" aria-describedby="field-find-hint">
    </div>
    <div class="actions actions-tight"><button type="submit" class="button-small">${t('search')}</button></div>
  </form>
  ${results}
  <p class="hint">${t('managerHint')}</p>
</section>`;
}

export function areaPage(model: AreaPageModel): SafeHtml {
  const { locale, area } = model;
  const t = (key: AreasKey, vars?: Record<string, string | number>): string => areasText(locale, key, vars);
  const membersBase = `/admin/areas/${area.id}`;
  const next = model.membersNext ? withQuery(membersBase, new URLSearchParams([['cursor', model.membersNext]])) : null;
  return html`<p class="breadcrumb"><a href="/admin/areas">${labelText(locale, 'areas')}</a></p>
<h1>${area.name}</h1>
${model.done && notice('success', model.done)}
${model.problem && notice('error', model.problem, { alert: true })}
<p class="muted">${t('members')}: ${formatNumber(locale, area.memberCount)} · ${t('managers')}: ${formatNumber(
    locale,
    area.managerCount,
  )}</p>
<div class="two-columns">
  <div>
    <section aria-labelledby="managers-heading">
      <h2 id="managers-heading">${t('managers')}</h2>
      ${peopleList(model, 'managers', model.managers)}
    </section>
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">${t('members')}</h2>
      <p><a href="/admin/people?area=${area.id}">${t('showInPeople')}</a></p>
      ${peopleList(model, 'members', model.members)}
      ${pager(locale, { first: model.membersPaged ? membersBase : null, next })}
    </section>
  </div>
  <div>
    ${addForms(model)}
    <section class="card" aria-labelledby="rename-heading">
      <h2 id="rename-heading">${t('rename')}</h2>
      <form method="post" action="/admin/areas/${area.id}" novalidate>
        ${csrfField(model.csrfToken)}
        ${textField({
          name: 'name',
          label: t('renameTitle'),
          value: model.renameValue,
          error: model.renameError,
          required: true,
          maxlength: 100,
        })}
        <div class="actions"><button type="submit">${t('save')}</button></div>
      </form>
      <p><a class="danger" href="/admin/areas/${area.id}/delete">${t('deleteArea')}</a></p>
    </section>
  </div>
</div>`;
}

export function deleteAreaPage(options: { locale: Locale; csrfToken: string; area: Area }): SafeHtml {
  const { locale, area } = options;
  const t = (key: AreasKey, vars?: Record<string, string | number>): string => areasText(locale, key, vars);
  return html`<p class="breadcrumb"><a href="/admin/areas">${labelText(locale, 'areas')}</a> › <a
    href="/admin/areas/${area.id}">${area.name}</a></p>
<h1>${t('deleteTitle', { name: area.name })}</h1>
<p>${t('deleteText', {
    members: formatNumber(locale, area.memberCount),
    managers: formatNumber(locale, area.managerCount),
  })}</p>
<p class="muted">${t('deleteKeep')}</p>
<form method="post" action="/admin/areas/${area.id}/delete">
  ${csrfField(options.csrfToken)}
  <div class="actions">
    <button type="submit" class="button-danger">${t('deleteArea')}</button>
    <a class="button button-secondary" href="/admin/areas/${area.id}">${adminText(locale, 'cancel')}</a>
  </div>
</form>`;
}

// ---------------------------------------------------------------------------------------------
// A person's areas (on their page)

export interface PersonAreasModel {
  locale: Locale;
  csrfToken: string;
  person: Person;
  areas: AreaRef[];
  managed: AreaRef[];
  value: string;
  error: string | undefined;
  done: string | null;
}

export function personAreasPanel(model: PersonAreasModel): SafeHtml {
  const { locale, person } = model;
  const t = (key: AreasKey, vars?: Record<string, string>): string => areasText(locale, key, vars);
  const list =
    model.areas.length === 0
      ? html`<p class="empty">${t('personNoAreas')}</p>`
      : html`<ul class="area-people">${model.areas.map(
          (area) => html`<li><span class="area-person"><a href="/admin/areas/${area.id}">${area.name}</a></span>
  <form method="post" action="/admin/people/${person.id}/areas/${area.id}/remove" class="inline">
    ${csrfField(model.csrfToken)}
    <button type="submit" class="button-small button-secondary"
      aria-label="${t('removeFromAreaLabel', { name: area.name })}">${t('remove')}</button>
  </form></li>`,
        )}</ul>`;
  return html`<section class="card" aria-labelledby="areas-heading" id="areas">
  <h2 id="areas-heading">${t('personAreas')}</h2>
  ${model.done && notice('success', model.done)}
  ${list}
  ${
    model.managed.length > 0 &&
    html`<p>${t('personManages')}: ${model.managed.map(
      (area, i) => html`${i > 0 ? ', ' : ''}<a href="/admin/areas/${area.id}">${area.name}</a>`,
    )}</p>`
  }
  <form method="post" action="/admin/people/${person.id}/areas" novalidate>
    ${csrfField(model.csrfToken)}
    ${textField({
      name: 'area',
      label: t('addToArea'),
      value: model.value,
      error: model.error,
      hint: t('addToAreaHint'),
      maxlength: 100,
    })}
    <div class="actions"><button type="submit" class="button-small">${t('addToArea')}</button></div>
  </form>
</section>`;
}

// The words and pages of SPEC §9 on the admin side: a manager's narrowed pages, and the two-person
// rule for codes that open admin accounts (the requests list, one request, its notices).
import type { AdminCodeRequest } from '../access-codes/admin-code-requests.js';
import { csrfField } from '../http/forms.js';
import { html, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { notice, timeElement } from './admin.views.js';

export const requestsText = defineMessages({
  en: {
    managerScope: 'You see the people of the areas you manage.',
    managerNoAreas:
      'You manage no areas yet, so there is no one to show. Ask an admin to make you manager of your area.',
    managerReadOnly: "Only an admin can change this person's details.",
    managerNotMember:
      'You can get and deactivate access codes for the members of your ' +
      'areas only: not for managers, admins or yourself.',
    managerBulk: 'Only members of your areas who have no email address get codes here.',
    bulkNoAdmins: 'Admins never get codes here: a code for an admin account is issued one person at a time.',
    ruleOff:
      'Codes for admin accounts are issued directly: the two-person rule ' +
      'is off because there is only one active admin. ' +
      "Once there are two or more, a code for an admin account needs a second admin's approval.",
    awaitingOne: 'One request for an admin code waits for your approval.',
    awaitingMany: '{count} requests for admin codes wait for your approval.',
    seeRequests: 'See the requests',
    requestsTitle: 'Requests for admin codes',
    requestsIntro:
      "While two or more active admins exist, a code for an admin account needs a second admin's approval within " +
      '24 hours. The admin who asked then gets the code, once, within 24 hours of the approval.',
    noRequests: 'No requests are open.',
    requestTitle: 'Admin code for {name}',
    forPerson: 'For',
    requestedBy: 'Asked for by',
    requestedAt: 'Asked for',
    openUntil: 'Open until',
    status: 'Status',
    statusPending: 'Waiting for approval',
    statusApproved: 'Approved',
    statusDeclined: 'Declined',
    statusExpired: 'Expired',
    statusIssued: 'Code collected',
    approve: 'Approve',
    decline: 'Decline',
    withdraw: 'Withdraw the request',
    collect: 'Get the code',
    ownPending: "Your request waits for another admin's approval.",
    ownApproved: 'Another admin approved your request. Get the code now: it is shown once.',
    othersApproved: 'Approved. Only the admin who asked can get the code.',
    othersPending: 'Check with {name} that they asked for this code before you approve it.',
    closed: 'This request is closed.',
    askNote:
      "This is an admin account: the code needs a second admin's approval. Your request goes to the other admins; " +
      'once one of them approves it, you get the code here, once.',
    ask: 'Ask for approval',
    doneRequested: 'Your request was sent. Another admin must approve it within 24 hours.',
    doneApproved: 'You approved the request. The admin who asked can now get the code.',
    doneDeclined: 'The request was declined.',
    area: 'Area',
    areaHint: 'Name or id of an area',
    unknownArea: 'No area by that name.',
  },
  sv: {
    managerScope: 'Du ser personerna i de områden du är chef för.',
    managerNoAreas:
      'Du är inte chef för något område än, så det finns ingen att visa. Be ' +
      'en administratör göra dig till chef för ditt område.',
    managerReadOnly: 'Bara en administratör kan ändra personens uppgifter.',
    managerNotMember:
      'Du kan ta fram och inaktivera åtkomstkoder bara för medlemmar i dina ' +
      'områden: inte för chefer, administratörer eller dig själv.',
    managerBulk: 'Bara medlemmar i dina områden som saknar e-postadress får koder här.',
    bulkNoAdmins:
      'Administratörer får aldrig koder här: en kod för ett administratörskonto tas fram för en person i taget.',
    ruleOff:
      'Koder för administratörskonton tas fram direkt: tvåpersonsregeln är ' +
      'avstängd eftersom det bara finns en aktiv administratör. ' +
      'När det finns två eller fler måste en kod för ett administratörskonto godkännas av en andra administratör.',
    awaitingOne: 'En begäran om administratörskod väntar på ditt godkännande.',
    awaitingMany: '{count} begäranden om administratörskoder väntar på ditt godkännande.',
    seeRequests: 'Visa begärandena',
    requestsTitle: 'Begäranden om administratörskoder',
    requestsIntro:
      'När det finns två eller fler aktiva administratörer måste en kod ' +
      'för ett administratörskonto godkännas av en andra ' +
      'administratör inom 24 timmar. Den som bad om koden får den sedan en gång, inom 24 timmar efter godkännandet.',
    noRequests: 'Inga begäranden är öppna.',
    requestTitle: 'Administratörskod för {name}',
    forPerson: 'För',
    requestedBy: 'Begärd av',
    requestedAt: 'Begärd',
    openUntil: 'Öppen till',
    status: 'Status',
    statusPending: 'Väntar på godkännande',
    statusApproved: 'Godkänd',
    statusDeclined: 'Avslagen',
    statusExpired: 'Utgången',
    statusIssued: 'Koden hämtad',
    approve: 'Godkänn',
    decline: 'Avslå',
    withdraw: 'Dra tillbaka begäran',
    collect: 'Hämta koden',
    ownPending: 'Din begäran väntar på att en annan administratör godkänner den.',
    ownApproved: 'En annan administratör har godkänt din begäran. Hämta koden nu: den visas en gång.',
    othersApproved: 'Godkänd. Bara den administratör som bad om koden kan hämta den.',
    othersPending: 'Kontrollera med {name} att hen bad om koden innan du godkänner.',
    closed: 'Begäran är stängd.',
    askNote:
      'Det här är ett administratörskonto: koden måste godkännas av en ' +
      'andra administratör. Din begäran går till de andra ' +
      'administratörerna; när någon av dem har godkänt den får du koden här, en gång.',
    ask: 'Be om godkännande',
    doneRequested: 'Din begäran har skickats. En annan administratör måste godkänna den inom 24 timmar.',
    doneApproved: 'Du har godkänt begäran. Den som bad om koden kan nu hämta den.',
    doneDeclined: 'Begäran avslogs.',
    area: 'Område',
    areaHint: 'Namn eller id för ett område',
    unknownArea: 'Inget område med det namnet.',
  },
});

type Key = Parameters<typeof requestsText>[1];

function who(person: { name: string; username: string | null }): string {
  return person.username ? `${person.name} (${person.username})` : person.name;
}

export function statusWords(locale: Locale, status: AdminCodeRequest['status']): string {
  const keys: Record<AdminCodeRequest['status'], Key> = {
    pending: 'statusPending',
    approved: 'statusApproved',
    declined: 'statusDeclined',
    expired: 'statusExpired',
    issued: 'statusIssued',
  };
  return requestsText(locale, keys[status]);
}

/** The People page's note for an admin: requests waiting for them, or why the rule is off. */
export function twoPersonNotice(locale: Locale, state: { awaiting: number; ruleOff: boolean }): SafeHtml | null {
  const t = (key: Key, vars?: Record<string, string | number>): string => requestsText(locale, key, vars);
  if (state.awaiting > 0) {
    const text = state.awaiting === 1 ? t('awaitingOne') : t('awaitingMany', { count: state.awaiting });
    return notice(
      'info',
      html`<p><strong id="awaiting-count">${text}</strong> <a href="/admin/code-requests">${t('seeRequests')}</a></p>`,
    );
  }
  if (state.ruleOff) return html`<p class="hint" id="two-person-off">${t('ruleOff')}</p>`;
  return null;
}

export function requestsListPage(options: {
  locale: Locale;
  requests: readonly AdminCodeRequest[];
  selfId: string;
}): SafeHtml {
  const { locale } = options;
  const t = (key: Key): string => requestsText(locale, key);
  const rows = options.requests.map(
    (request) => html`<tr>
  <th scope="row"><a href="/admin/code-requests/${request.id}">${who(request.person)}</a></th>
  <td>${who(request.requestedBy)}</td>
  <td>${timeElement(locale, Date.parse(request.requestedAt))}</td>
  <td>${statusWords(locale, request.status)}</td>
  <td>${timeElement(locale, Date.parse(request.expiresAt))}</td>
</tr>`,
  );
  return html`<p class="breadcrumb"><a href="/admin/people">${labelText(locale, 'people')}</a></p>
<h1>${t('requestsTitle')}</h1>
<p>${t('requestsIntro')}</p>
${
  rows.length === 0
    ? html`<p class="empty">${t('noRequests')}</p>`
    : html`<div class="table-wrap" role="region" aria-labelledby="requests-caption" tabindex="0">
<table>
  <caption id="requests-caption" class="visually-hidden">${t('requestsTitle')}</caption>
  <thead><tr>
    <th scope="col">${t('forPerson')}</th>
    <th scope="col">${t('requestedBy')}</th>
    <th scope="col">${t('requestedAt')}</th>
    <th scope="col">${t('status')}</th>
    <th scope="col">${t('openUntil')}</th>
  </tr></thead>
  <tbody>${rows}</tbody>
</table>
</div>`
}`;
}

export function requestPage(options: {
  locale: Locale;
  csrfToken: string;
  request: AdminCodeRequest;
  selfId: string;
  done: string | null;
}): SafeHtml {
  const { locale, request, csrfToken } = options;
  const t = (key: Key, vars?: Record<string, string | number>): string => requestsText(locale, key, vars);
  const own = request.requestedBy.id === options.selfId;
  const open = request.status === 'pending' || request.status === 'approved';
  const button = (step: string, text: string, secondary: boolean): SafeHtml =>
    html`<form method="post" action="/admin/code-requests/${request.id}/${step}" class="inline-form">
    ${csrfField(csrfToken)}
    <button type="submit"${secondary ? html` class="button-secondary"` : ''} data-submit-once>${text}</button>
  </form>`;
  let actions: SafeHtml | null = null;
  let state: string;
  if (!open) state = t('closed');
  else if (request.status === 'pending' && own) {
    state = t('ownPending');
    actions = button('decline', t('withdraw'), true);
  } else if (request.status === 'pending') {
    state = t('othersPending', { name: who(request.requestedBy) });
    actions = html`${button('approve', t('approve'), false)} ${button('decline', t('decline'), true)}`;
  } else if (own) {
    state = t('ownApproved');
    actions = button('code', t('collect'), false);
  } else state = t('othersApproved');
  return html`<p class="breadcrumb"><a href="/admin/people">${labelText(locale, 'people')}</a> › <a
    href="/admin/code-requests">${t('requestsTitle')}</a></p>
<h1>${t('requestTitle', { name: request.person.name })}</h1>
${options.done && notice('success', options.done)}
<dl class="facts">
  <dt>${t('forPerson')}</dt><dd><a href="/admin/people/${request.person.id}">${who(request.person)}</a></dd>
  <dt>${t('requestedBy')}</dt><dd>${who(request.requestedBy)}</dd>
  <dt>${t('requestedAt')}</dt><dd>${timeElement(locale, Date.parse(request.requestedAt))}</dd>
  <dt>${t('status')}</dt><dd id="request-status">${statusWords(locale, request.status)}</dd>
  ${open && html`<dt>${t('openUntil')}</dt><dd>${timeElement(locale, Date.parse(request.expiresAt))}</dd>`}
</dl>
<p id="request-state">${state}</p>
${actions && html`<div class="actions">${actions}</div>`}`;
}

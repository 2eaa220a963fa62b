// Guided next steps on the admin pages: the first admin's "Get started" checklist, the primary
// "Get access code now" after adding a person, a batch's recipients and progress, and "Start
// over for this person" (a code that reached the wrong person).
import type { BatchProgress, BatchRecipient } from '../access-codes/batch-recipients.js';
import type { StartOverPlan } from '../accounts/start-over.js';
import { csrfField } from '../http/forms.js';
import { fillHtml, html, raw, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import type { Person } from '../people/person.js';
import { codesText, lifetimeChoices, lifetimeText } from './admin-codes.views.js';
import { adminText, codeStateText, formatNumber, notice } from './admin.views.js';

export const guideText = defineMessages({
  en: {
    startTitle: 'Get started',
    startLead: 'A few steps to get your people signed in. Each one ticks itself off when it is done.',
    stepPeople: 'Add or import your people',
    stepPeopleHint: 'Import a CSV file with everyone at once, or add one person.',
    stepPeopleImport: 'Import people',
    stepAdmin: 'Make a second admin',
    stepAdminHint: 'So that someone else can help, and can get you a new code if you lose your password.',
    stepAdminHow: 'Open a person and choose Admin under Role.',
    stepApp: 'Register an app',
    stepAppHint: 'The staff apps your people sign in to with Keyslip.',
    stepCodes: 'Print access codes',
    stepCodesHint: 'Slips for everyone without email, to hand out at work.',
    stepDone: 'Done',
    stepToDo: 'To do',
    dismiss: 'Hide this checklist',
    addedNext: 'Next: get {name} an access code to hand over.',
    getCodeNow: 'Get access code now',
    everyoneWithoutEmail: 'for everyone without email ({count})',
    confirmEveryoneWithoutEmail: 'For everyone without email',
    importNext: 'Next: get access codes for everyone without email who has no code yet',
    recipientsTitle: 'Who got a code',
    recipientsMore: 'The first {shown} of {total} in name order.',
    progress: '{used} of {total} have used their code; {active} codes can still be used.',
    recipientName: 'Name',
    recipientPlace: 'Department / location',
    recipientState: 'This code',
    startOver: 'Start over for this person',
    startOverHint: 'When an access code reached the wrong person.',
    startOverTitle: 'Start over for {name}?',
    startOverLead: 'Use this when an access code reached the wrong person, who may already have used it.',
    startOverWill: 'In one step, Keyslip:',
    willSignOut: 'signs {name} out on every device and in every app,',
    willUnclaim: 'removes the password and makes the account not yet claimed again,',
    willClearUsername: 'clears the username “{username}”, chosen when the code was used,',
    willKeepUsername:
      'keeps the username “{username}”: it was not chosen with the code (you can change it on the person page),',
    willRemovePassword: 'removes the password set with the last access code (the username “{username}” stays),',
    willVoid: 'voids any access code that still works, and',
    willNewCode: 'makes a new access code, shown once, for you to give to the right person.',
    startOverCheck: 'Hand the new code only to {name}: check their employee id or department.',
    startOverSelf: 'This is your own account: ask another admin to start over for you.',
    startOverButton: 'Start over and get a new code',
    doneStartedOver: 'Started over: {name} was signed out everywhere, and only the new code works.',
  },
  sv: {
    startTitle: 'Kom igång',
    startLead: 'Några steg för att få personalen inloggad. Varje steg bockas av när det är gjort.',
    stepPeople: 'Lägg till eller importera personalen',
    stepPeopleHint: 'Importera en CSV-fil med alla på en gång, eller lägg till en person.',
    stepPeopleImport: 'Importera personer',
    stepAdmin: 'Gör någon mer till administratör',
    stepAdminHint: 'Så att någon annan kan hjälpa till och ge dig en ny kod om du glömmer lösenordet.',
    stepAdminHow: 'Öppna en person och välj Administratör under Roll.',
    stepApp: 'Registrera en app',
    stepAppHint: 'Personalapparna som personalen loggar in i med Keyslip.',
    stepCodes: 'Skriv ut åtkomstkoder',
    stepCodesHint: 'Lappar till alla som saknar e-post, att dela ut på jobbet.',
    stepDone: 'Klart',
    stepToDo: 'Att göra',
    dismiss: 'Dölj checklistan',
    addedNext: 'Nästa steg: ge {name} en åtkomstkod att lämna över.',
    getCodeNow: 'Hämta åtkomstkod nu',
    everyoneWithoutEmail: 'för alla som saknar e-post ({count})',
    confirmEveryoneWithoutEmail: 'För alla som saknar e-post',
    importNext: 'Nästa steg: hämta åtkomstkoder för alla som saknar e-post och inte har någon kod än',
    recipientsTitle: 'Vilka som fick en kod',
    recipientsMore: 'De första {shown} av {total} i namnordning.',
    progress: '{used} av {total} har använt sin kod; {active} koder kan fortfarande användas.',
    recipientName: 'Namn',
    recipientPlace: 'Avdelning / plats',
    recipientState: 'Den här koden',
    startOver: 'Börja om för den här personen',
    startOverHint: 'När en åtkomstkod har hamnat hos fel person.',
    startOverTitle: 'Börja om för {name}?',
    startOverLead: 'Använd det här när en åtkomstkod har hamnat hos fel person, som kanske redan har använt den.',
    startOverWill: 'I ett steg gör Keyslip följande:',
    willSignOut: 'loggar ut {name} från alla enheter och alla appar,',
    willUnclaim: 'tar bort lösenordet och gör kontot inte aktiverat igen,',
    willClearUsername: 'tar bort användarnamnet ”{username}”, som valdes när koden användes,',
    willKeepUsername:
      'behåller användarnamnet ”{username}”: det valdes inte med koden (du kan ändra det på personens sida),',
    willRemovePassword:
      'tar bort lösenordet som sattes med den senaste åtkomstkoden (användarnamnet ”{username}” finns kvar),',
    willVoid: 'gör alla åtkomstkoder som fortfarande fungerar ogiltiga, och',
    willNewCode: 'skapar en ny åtkomstkod som visas en gång, så att du kan ge den till rätt person.',
    startOverCheck: 'Lämna bara den nya koden till {name}: kontrollera anställningsnummer eller avdelning.',
    startOverSelf: 'Det här är ditt eget konto: be en annan administratör att börja om åt dig.',
    startOverButton: 'Börja om och hämta en ny kod',
    doneStartedOver: 'Klart: {name} loggades ut överallt, och bara den nya koden fungerar.',
  },
});

type Key = Parameters<typeof guideText>[1];

// ---------------------------------------------------------------------------------------------
// The first admin's checklist

export interface FirstRunState {
  /** Someone besides the admins is in the directory. */
  people: boolean;
  /** Two or more admins who are not deactivated. */
  secondAdmin: boolean;
  /** An app (OpenID Connect client) is registered. */
  app: boolean;
  /** A batch of codes has been made. */
  codes: boolean;
}

export function firstRunDone(state: FirstRunState): boolean {
  return state.people && state.secondAdmin && state.app && state.codes;
}

export function firstRunChecklist(locale: Locale, csrfToken: string, state: FirstRunState): SafeHtml {
  const t = (key: Key): string => guideText(locale, key);
  const step = (done: boolean, title: string, hint: string, links: SafeHtml): SafeHtml =>
    html`<li class="checklist-step${done ? ' checklist-done' : ''}">
  <span class="step-mark" aria-hidden="true">${done ? '✓' : ''}</span>
  <div><p class="step-title"><strong>${title}</strong> <span
    class="visually-hidden">(${done ? t('stepDone') : t('stepToDo')})</span></p>
  <p class="hint">${hint}</p>${done ? '' : links}</div>
</li>`;
  return html`<section class="card first-run" aria-labelledby="first-run-heading">
  <h2 id="first-run-heading">${t('startTitle')}</h2>
  <p>${t('startLead')}</p>
  <ol class="checklist">
    ${step(
      state.people,
      t('stepPeople'),
      t('stepPeopleHint'),
      html`<p class="step-links"><a class="button button-small" href="/admin/people/import">${t(
        'stepPeopleImport',
      )}</a> <a class="button button-small button-secondary" href="/admin/people/new">${adminText(
        locale,
        'addPerson',
      )}</a></p>`,
    )}
    ${step(state.secondAdmin, t('stepAdmin'), t('stepAdminHint'), html`<p class="hint">${t('stepAdminHow')}</p>`)}
    ${step(
      state.app,
      t('stepApp'),
      t('stepAppHint'),
      html`<p class="step-links"><a href="/admin/apps">${labelText(locale, 'apps')}</a></p>`,
    )}
    ${step(
      state.codes,
      t('stepCodes'),
      t('stepCodesHint'),
      html`<p class="step-links"><a href="/admin/access-codes/issue?hasEmail=false">${labelText(
        locale,
        'getAccessCodes',
      )}</a></p>`,
    )}
  </ol>
  <form method="post" action="/admin/guide/dismiss">
    ${csrfField(csrfToken)}
    <button type="submit" class="button-small button-secondary">${t('dismiss')}</button>
  </form>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// After adding a person

/** The "person added" notice with its primary next step. */
export function personAddedNotice(locale: Locale, person: Person, message: string): SafeHtml {
  const back = encodeURIComponent(`/admin/people/${person.id}`);
  return notice(
    'success',
    html`<p>${message} ${guideText(locale, 'addedNext', { name: person.name })}</p>
<p><a class="button" href="/admin/people/${person.id}/access-code?return=${back}">${guideText(
      locale,
      'getCodeNow',
    )}</a></p>`,
  );
}

// ---------------------------------------------------------------------------------------------
// A batch's recipients and progress

export function batchRecipients(
  locale: Locale,
  recipients: { items: BatchRecipient[]; progress: BatchProgress },
): SafeHtml {
  const t = (key: Key, vars?: Record<string, string | number>): string => guideText(locale, key, vars);
  const { items, progress } = recipients;
  const n = (value: number): string => formatNumber(locale, value);
  return html`<section aria-labelledby="recipients-heading" class="batch-recipients">
  <h2 id="recipients-heading">${t('recipientsTitle')}</h2>
  <p class="progress-line"><meter min="0" max="${progress.total}" value="${progress.used}"
    aria-labelledby="batch-progress"></meter> <span id="batch-progress">${t('progress', {
      used: n(progress.used),
      total: n(progress.total),
      active: n(progress.active),
    })}</span></p>
  ${
    items.length < progress.total &&
    html`<p class="hint">${t('recipientsMore', { shown: n(items.length), total: n(progress.total) })}</p>`
  }
  <ul class="recipient-list">${items.map((item) => {
    const place = [item.department, item.location].filter(Boolean).join(' / ');
    return html`<li><a href="/admin/people/${item.personId}">${item.name}</a>${
      item.employeeId && html` <span class="muted">${item.employeeId}</span>`
    }${place && html` <span class="muted">· ${place}</span>`} <span
      class="code-state code-state-${item.codeState}">${codeStateText(locale, item.codeState)}</span></li>`;
  })}</ul>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// Start over

export function startOverLink(locale: Locale, person: Person): SafeHtml {
  return html`<li><a href="/admin/people/${person.id}/start-over">${guideText(locale, 'startOver')}</a>
  <span class="hint">${guideText(locale, 'startOverHint')}</span></li>`;
}

export function startOverPage(options: {
  locale: Locale;
  csrfToken: string;
  person: Person;
  plan: StartOverPlan;
  self: boolean;
  maxLifetimeMs: number;
}): SafeHtml {
  const { locale, person, plan } = options;
  const t = (key: Key, vars?: Record<string, string | number>): string => guideText(locale, key, vars);
  const username = person.username ?? '';
  const steps: string[] = [t('willSignOut', { name: person.name })];
  if (plan.undo === 'claim') {
    steps.push(t('willUnclaim'));
    if (plan.clearsUsername) steps.push(t('willClearUsername', { username: plan.clearsUsername }));
    else if (person.username) steps.push(t('willKeepUsername', { username }));
  } else if (plan.undo === 'recovery') {
    steps.push(t('willRemovePassword', { username }));
  }
  steps.push(t('willVoid'), t('willNewCode'));
  // A code handed over on the spot: the shortest lifetime is preselected.
  const choices = lifetimeChoices(options.maxLifetimeMs);
  const preset = choices[choices.length - 1];
  const idLine = [person.employeeId, person.department, person.location].filter(Boolean).join(' · ');
  return html`<p class="breadcrumb"><a href="/admin/people">${labelText(locale, 'people')}</a> › <a
    href="/admin/people/${person.id}">${person.name}</a></p>
<h1>${t('startOverTitle', { name: person.name })}</h1>
${idLine && html`<p class="muted">${idLine}</p>`}
<p class="lead">${t('startOverLead')}</p>
${
  options.self
    ? notice('warning', t('startOverSelf'))
    : html`<p>${t('startOverWill')}</p>
<ul class="start-over-steps">${steps.map((step) => html`<li>${step}</li>`)}</ul>
<form method="post" action="/admin/people/${person.id}/start-over">
  ${csrfField(options.csrfToken)}
  <fieldset class="field">
    <legend>${codesText(locale, 'lifetime')}</legend>
    ${choices.map(
      (hours, index) =>
        html`<label class="checkbox"><input type="radio" name="lifetimeHours"
          value="${hours}"${hours === preset ? raw(' checked') : ''}> ${lifetimeText(
            locale,
            hours,
            index === 0,
          )}</label>`,
    )}
  </fieldset>
  ${notice(
    'warning',
    html`<p>${fillHtml(guideText.catalog[locale].startOverCheck, { name: html`<strong>${person.name}</strong>` })}</p>`,
  )}
  <div class="actions">
    <button type="submit" class="button-danger" data-submit-once>${t('startOverButton')}</button>
    <a class="button button-secondary" href="/admin/people/${person.id}">${adminText(locale, 'cancel')}</a>
  </div>
</form>`
}`;
}

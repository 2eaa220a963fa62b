// Views of the frontline pages: typed functions from data to HTML (the page body; the layout
// adds the frame). Everything goes through the escaping html`` template.
import { ACCESS_CODE_PATH } from '../config.js';
import type { AuditEvent } from '../audit/audit.js';
import type { SessionsTable } from '../db/schema.js';
import type { SignedInPerson } from '../people/person.js';
import { CSRF_FIELD } from '../http/csrf.js';
import { csrfField } from '../http/forms.js';
import { fillHtml, html, raw, type SafeHtml } from '../http/html.js';
import type { Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { timeElement } from '../http/time.js';
import { waitMessage } from '../http/layout.js';
import { MIN_PASSWORD_LENGTH, RECOMMENDED_PASSWORD_LENGTH } from '../sign-in/password.js';
import { frontlineText } from './frontline.messages.js';

/** A problem to show above a form: the message, and the wait for a 429. */
export interface FormProblem {
  message: string;
  retryAfterSeconds?: number;
}

function problemNotice(locale: Locale, problem: FormProblem | undefined, id: string, extra?: string): SafeHtml | null {
  if (!problem) return null;
  return html`<div class="notice notice-error" role="alert" id="${id}">
  <p>${problem.message}</p>
  ${problem.retryAfterSeconds !== undefined && html`<p>${waitMessage(locale, problem.retryAfterSeconds)}</p>`}
  ${extra && html`<p>${extra}</p>`}
</div>`;
}

function describedBy(...ids: (string | null | false | undefined)[]): string {
  return ids.filter((id): id is string => typeof id === 'string' && id !== '').join(' ');
}

// ---------------------------------------------------------------------------------------------
// /login

export interface LoginView {
  csrfToken: string;
  login?: string;
  next?: string;
  problem?: FormProblem;
  notice?: string;
  /** An app's sign-in in progress (OpenID Connect interaction uid): resumed after signing in. */
  interaction?: string;
}

/** The hidden field that carries an app's sign-in (the interaction uid, not a secret) through a form. */
function interactionField(interaction: string | undefined): SafeHtml | '' {
  return interaction ? html`<input type="hidden" name="interaction" value="${interaction}">` : '';
}

function withInteraction(path: string, interaction: string | undefined): string {
  return interaction ? `${path}?interaction=${encodeURIComponent(interaction)}` : path;
}

export function loginBody(locale: Locale, view: LoginView): SafeHtml {
  const errorId = view.problem ? 'login-error' : null;
  return html`<h1>${labelText(locale, 'signIn')}</h1>
${view.notice && html`<div class="notice notice-success" role="status"><p>${view.notice}</p></div>`}
${problemNotice(locale, view.problem, 'login-error')}
<p class="lead">${frontlineText(locale, 'loginIntro')}</p>
<form method="post" action="/login" class="card">
  ${csrfField(view.csrfToken)}
  ${view.next && html`<input type="hidden" name="next" value="${view.next}">`}
  ${interactionField(view.interaction)}
  <div class="field">
    <label for="login">${frontlineText(locale, 'loginField')}</label>
    <input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" autocorrect="off"
      spellcheck="false" required
      value="${view.login ?? ''}"${raw(errorId ? ` aria-invalid="true" aria-describedby="${errorId}"` : '')}>
  </div>
  <div class="field">
    <label for="password">${frontlineText(locale, 'password')}</label>
    <input id="password" name="password" type="password" autocomplete="current-password"
      required${raw(errorId ? ` aria-invalid="true" aria-describedby="${errorId}" autofocus` : '')}>
  </div>
  <button type="submit" class="button-wide">${labelText(locale, 'signIn')}</button>
</form>
<ul class="links">
  <li><a href="/help/login">${labelText(locale, 'troubleSigningIn')}</a></li>
  <li><a href="${withInteraction(ACCESS_CODE_PATH, view.interaction)}">${labelText(locale, 'haveAccessCode')}</a></li>
</ul>`;
}

// ---------------------------------------------------------------------------------------------
// /help/login

export function helpBody(locale: Locale, view: { supportContact: string }): SafeHtml {
  const tips = (
    ['tipCapsLock', 'tipUsername', 'tipUsernameCase', 'tipSharedDevice', 'tipKeyboard', 'tipWait'] as const
  ).map((key) => html`<li>${frontlineText(locale, key)}</li>`);
  return html`<h1>${labelText(locale, 'troubleSigningIn')}</h1>
<p class="lead">${frontlineText(locale, 'helpIntro')}</p>
<h2>${frontlineText(locale, 'helpTipsHeading')}</h2>
<ul>${tips}</ul>
<h2>${frontlineText(locale, 'helpForgotHeading')}</h2>
<p>${frontlineText(locale, 'helpForgot')}</p>
<p><a class="button" href="${ACCESS_CODE_PATH}">${frontlineText(locale, 'helpForgotLink')}</a></p>
<h2>${frontlineText(locale, 'helpContactHeading')}</h2>
<p>${
    view.supportContact
      ? frontlineText(locale, 'helpContact', { contact: view.supportContact })
      : frontlineText(locale, 'helpContactAdmin')
  }</p>
<ul class="links"><li><a href="/login">${frontlineText(locale, 'helpBackToLogin')}</a></li></ul>`;
}

// ---------------------------------------------------------------------------------------------
// /work/accesscode: three steps, each a POST form carrying the code in a hidden field.

export type CodeStepView = (
  | { step: 'code'; code?: string; problem?: FormProblem }
  | { step: 'confirm'; code: string; username: string; problem?: FormProblem }
  | { step: 'choose'; code: string; username?: string; problem?: FormProblem; apiCsrfToken: string }
  | { step: 'password'; code: string; username: string; problem?: FormProblem }
) & { interaction?: string };

function stepIndex(step: CodeStepView['step']): 1 | 2 | 3 {
  return step === 'code' ? 1 : step === 'password' ? 3 : 2;
}

function stepsList(locale: Locale, current: 1 | 2 | 3): SafeHtml {
  const items = (['stepCode', 'stepUsername', 'stepPassword'] as const).map(
    (key, index) =>
      html`<li${index + 1 === current ? raw(' aria-current="step"') : ''}>${frontlineText(locale, key)}</li>`,
  );
  return html`<ol class="steps" aria-label="${frontlineText(locale, 'stepOf', { step: current })}">${items}</ol>`;
}

function hiddenCodeFields(
  csrfToken: string,
  step: string,
  code: string,
  username?: string,
  interaction?: string,
): SafeHtml {
  return html`${csrfField(csrfToken)}<input type="hidden" name="step" value="${step}"><input type="hidden"
    name="code" value="${code}">${
      username !== undefined && html`<input type="hidden" name="username" value="${username}">`
    }${interactionField(interaction)}`;
}

export function accessCodeTitle(locale: Locale, view: CodeStepView): string {
  switch (view.step) {
    case 'code':
      return frontlineText(locale, 'codeTitle');
    case 'confirm':
      return frontlineText(locale, 'confirmTitle');
    case 'choose':
      return frontlineText(locale, 'chooseTitle');
    case 'password':
      return frontlineText(locale, 'passwordTitle');
  }
}

export function accessCodeBody(locale: Locale, csrfToken: string, view: CodeStepView): SafeHtml {
  const title = accessCodeTitle(locale, view);
  const head = html`<h1>${title}</h1>${stepsList(locale, stepIndex(view.step))}`;
  const errorId = view.problem ? 'step-error' : null;
  const invalid = errorId ? raw(' aria-invalid="true"') : '';

  if (view.step === 'code') {
    return html`${head}
${problemNotice(
  locale,
  view.problem,
  'step-error',
  view.problem && view.problem.retryAfterSeconds === undefined ? frontlineText(locale, 'codeProblemHelp') : undefined,
)}
<p class="lead">${frontlineText(locale, 'codeIntro')}</p>
<form method="post" action="${ACCESS_CODE_PATH}" class="card" id="code-form">
  ${csrfField(csrfToken)}<input type="hidden" name="step" value="check">${interactionField(view.interaction)}
  <div class="field">
    <label for="code">${labelText(locale, 'accessCode')}</label>
    <span class="hint" id="code-hint">${frontlineText(locale, 'codeHint')}</span>
    <input id="code" name="code" type="text" class="code-input" autocomplete="off" autocapitalize="characters"
      autocorrect="off" spellcheck="false" inputmode="text" required maxlength="64" value="${view.code ?? ''}"
      aria-describedby="${describedBy('code-hint', errorId)}"${invalid}${errorId ? raw(' autofocus') : ''}>
  </div>
  <button type="submit" class="button-wide">${frontlineText(locale, 'codeContinue')}</button>
</form>
<ul class="links">
  <li><a href="${
    view.interaction ? `/login?interaction=${encodeURIComponent(view.interaction)}` : '/login'
  }">${labelText(locale, 'signIn')}</a></li>
  <li><a href="/help/login">${labelText(locale, 'troubleSigningIn')}</a></li>
</ul>`;
  }

  if (view.step === 'confirm') {
    return html`${head}
${problemNotice(locale, view.problem, 'step-error')}
<p>${frontlineText(locale, 'confirmIntro')}</p>
<p class="username-box" id="confirm-username">${view.username}</p>
<form method="post" action="${ACCESS_CODE_PATH}">
  ${hiddenCodeFields(csrfToken, 'confirm', view.code, view.username, view.interaction)}
  <button type="submit" class="button-wide" aria-describedby="confirm-username"
    autofocus>${frontlineText(locale, 'confirmYes')}</button>
</form>
<div class="notice notice-warning"><p>${frontlineText(locale, 'confirmNo')}</p></div>`;
  }

  if (view.step === 'choose') {
    return html`${head}
${problemNotice(locale, view.problem, 'step-error')}
<p>${frontlineText(locale, 'chooseIntro')}</p>
<form method="post" action="${ACCESS_CODE_PATH}" class="card" id="choose-form"
  data-check-url="/api/v1/access-code/username-available" data-csrf="${view.apiCsrfToken}">
  ${hiddenCodeFields(csrfToken, 'choose', view.code, undefined, view.interaction)}
  <div class="field">
    <label for="username">${frontlineText(locale, 'chooseField')}</label>
    <span class="hint" id="username-hint">${frontlineText(locale, 'chooseHint')}</span>
    <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" autocorrect="off"
      spellcheck="false" required maxlength="64" value="${view.username ?? ''}"
      aria-describedby="${describedBy('username-hint', 'username-status', errorId)}"${invalid} autofocus>
    <span id="username-status" class="field-status" aria-live="polite"
      data-checking="${frontlineText(locale, 'usernameChecking')}"
      data-available="${frontlineText(locale, 'usernameAvailable')}"
      data-taken="${frontlineText(locale, 'usernameTaken')}"
      data-invalid="${frontlineText(locale, 'usernameInvalid')}"></span>
  </div>
  <button type="submit" class="button-wide">${frontlineText(locale, 'codeContinue')}</button>
</form>`;
  }

  return html`${head}
${problemNotice(locale, view.problem, 'step-error')}
<p>${fillHtml(frontlineText(locale, 'passwordIntroFor'), { username: html`<strong>${view.username}</strong>` })}</p>
<div class="card">
  <p><strong>${frontlineText(locale, 'passwordRules')}</strong></p>
  <ul>
    <li>${frontlineText(locale, 'ruleLength')}</li>
    <li>${frontlineText(locale, 'ruleCommon')}</li>
    <li>${frontlineText(locale, 'ruleUsername')}</li>
    <li>${frontlineText(locale, 'ruleAnything')}</li>
  </ul>
</div>
<form method="post" action="${ACCESS_CODE_PATH}" class="card" id="password-form">
  ${hiddenCodeFields(csrfToken, 'redeem', view.code, view.username, view.interaction)}
  <div class="field">
    <label for="password">${frontlineText(locale, 'newPassword')}</label>
    <input id="password" name="password" type="password" autocomplete="new-password" required
      aria-describedby="${describedBy('password-strength', errorId)}"${invalid} autofocus>
    <span id="password-strength" class="meter" aria-live="polite"
      data-min="${MIN_PASSWORD_LENGTH}" data-good="${RECOMMENDED_PASSWORD_LENGTH}"
      data-short="${frontlineText(locale, 'strengthShort')}"
      data-fair="${frontlineText(locale, 'strengthFair')}"
      data-strong="${frontlineText(locale, 'strengthGood')}"></span>
  </div>
  <div class="field">
    <label for="password2">${frontlineText(locale, 'repeatPassword')}</label>
    <input id="password2" name="password2" type="password" autocomplete="new-password" required
      aria-describedby="password-match">
    <span id="password-match" class="field-status" aria-live="polite"
      data-differ="${frontlineText(locale, 'passwordsDiffer')}"
      data-match="${frontlineText(locale, 'passwordsMatch')}"></span>
  </div>
  <div class="checkbox" id="show-passwords-field" hidden>
    <input type="checkbox" id="show-passwords">
    <label for="show-passwords">${frontlineText(locale, 'showPasswords')}</label>
  </div>
  <div class="actions"><button type="submit" class="button-wide">${frontlineText(locale, 'savePassword')}</button></div>
</form>`;
}

// ---------------------------------------------------------------------------------------------
// / (home)

export interface HomeView {
  person: SignedInPerson;
  currentSessionHash: string;
  sessions: SessionsTable[];
  events: AuditEvent[];
  csrfToken: string;
  welcome: 'claimed' | 'recovered' | null;
}

/** "Chrome on Android" from a User-Agent, roughly; enough to recognise one's own devices. */
export function describeDevice(locale: Locale, userAgent: string | null): string {
  if (!userAgent) return frontlineText(locale, 'unknownDevice');
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /SamsungBrowser\//.test(userAgent)
      ? 'Samsung Internet'
      : /Firefox\//.test(userAgent)
        ? 'Firefox'
        : /(Chrome|Chromium|CriOS)\//.test(userAgent)
          ? 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : null;
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone/.test(userAgent)
      ? 'iPhone'
      : /iPad/.test(userAgent)
        ? 'iPad'
        : /Windows/.test(userAgent)
          ? 'Windows'
          : /CrOS/.test(userAgent)
            ? 'ChromeOS'
            : /Mac OS X|Macintosh/.test(userAgent)
              ? 'macOS'
              : /Linux/.test(userAgent)
                ? 'Linux'
                : null;
  if (browser && system) return frontlineText(locale, 'deviceOn', { browser, system });
  return browser ?? system ?? frontlineText(locale, 'unknownDevice');
}

/** One audit event in the words of the person it is about. */
export function describeEvent(locale: Locale, event: AuditEvent, personId: string): string {
  const byOther = event.actor.id !== null && event.actor.id !== personId;
  switch (event.action) {
    case 'access_code.redeemed':
      return frontlineText(locale, event.details.kind === 'claim' ? 'evRedeemedClaim' : 'evRedeemedRecovery');
    case 'access_code.issued':
      return frontlineText(locale, 'evIssued');
    case 'access_code.deactivated':
      return frontlineText(locale, 'evDeactivatedCode');
    case 'access_code.failed':
      return frontlineText(locale, 'evCodeFailed');
    case 'sign_in.succeeded':
      return frontlineText(locale, 'evSignIn');
    case 'sign_in.failed':
      return frontlineText(locale, 'evSignInFailed');
    case 'session.ended':
      return frontlineText(locale, 'evSignedOut');
    case 'sessions.ended':
      return frontlineText(
        locale,
        byOther || event.actor.id === null ? 'evSessionsEndedByAdmin' : 'evSignedOutEverywhere',
      );
    case 'person.created':
      return frontlineText(locale, 'evCreated');
    case 'person.updated':
      return frontlineText(locale, 'evUpdated');
    case 'person.claimed':
      return frontlineText(locale, 'evClaimed');
    case 'person.deactivated':
      return frontlineText(locale, 'evPersonDeactivated');
    case 'person.started_over':
      return frontlineText(locale, 'evSessionsEndedByAdmin');
    case 'password.changed':
      return frontlineText(locale, 'evPasswordChanged');
    default:
      return frontlineText(locale, 'evOther', { action: event.action });
  }
}

export function homeBody(locale: Locale, view: HomeView): SafeHtml {
  const { person } = view;
  const welcome =
    view.welcome &&
    html`<div class="notice notice-success" role="status"><p>${frontlineText(
      locale,
      view.welcome === 'claimed' ? 'welcomeClaimed' : 'welcomeRecovered',
    )}</p></div>`;

  const sessions = view.sessions.map((session) => {
    const current = session.id_hash === view.currentSessionHash;
    return html`<li>
      <strong>${describeDevice(locale, session.user_agent)}</strong>${
        current &&
        html`<span
        class="badge">${frontlineText(locale, 'thisDevice')}</span>`
      }<br>
      <span class="muted">${fillHtml(frontlineText(locale, 'signedInAt'), {
        date: timeElement(locale, session.created_at),
      })}, ${fillHtml(frontlineText(locale, 'lastSeen'), { date: timeElement(locale, session.last_seen_at) })}${
        session.ip && html` · ${frontlineText(locale, 'fromAddress', { ip: session.ip })}`
      }</span>
    </li>`;
  });

  const events = view.events.map((event) => {
    const at = Date.parse(event.at);
    const byOther = event.actor.id !== null && event.actor.id !== person.id && event.action !== 'sessions.ended';
    return html`<li>
      <span>${describeEvent(locale, event, person.id)}</span>${
        byOther &&
        html` <span
        class="muted">${frontlineText(locale, 'evBy', { actor: event.actor.label })}</span>`
      }<br>
      <span class="muted">${timeElement(locale, at)}${
        event.ip && html` · ${frontlineText(locale, 'fromAddress', { ip: event.ip })}`
      }</span>
    </li>`;
  });

  return html`<h1>${frontlineText(locale, 'homeTitle')}</h1>
${welcome}
<section aria-labelledby="who-heading">
  <h2 id="who-heading">${frontlineText(locale, 'whoHeading')}</h2>
  <dl class="facts">
    <dt>${frontlineText(locale, 'name')}</dt><dd>${person.name}</dd>
    <dt>${frontlineText(locale, 'username')}</dt><dd>${person.username ?? frontlineText(locale, 'noUsername')}</dd>
    ${person.email && html`<dt>${frontlineText(locale, 'email')}</dt><dd>${person.email}</dd>`}
    <dt>${frontlineText(locale, 'role')}</dt>
    <dd>${frontlineText(locale, person.role === 'admin' ? 'roleAdmin' : person.role === 'manager' ? 'roleManager' : 'roleMember')}</dd>
  </dl>
  ${
    person.role === 'admin' &&
    html`<p><a href="/admin/people">${labelText(locale, 'people')}</a> · <a
    href="/admin/audit">${labelText(locale, 'auditLog')}</a></p>`
  }
</section>
<section aria-labelledby="sessions-heading">
  <h2 id="sessions-heading">${frontlineText(locale, 'sessionsHeading')}</h2>
  <p class="muted">${frontlineText(locale, 'sessionsIntro')}</p>
  <ul class="plain-list">${sessions}</ul>
  <div class="actions">
    <form method="post" action="/logout" class="inline-form">${csrfField(view.csrfToken)}<button type="submit"
      class="button-secondary">${frontlineText(locale, 'signOutHere')}</button></form>
    <form method="post" action="/logout-everywhere" class="inline-form">${csrfField(view.csrfToken)}<button
      type="submit" class="button-secondary"
      aria-describedby="everywhere-hint">${frontlineText(locale, 'signOutEverywhere')}</button></form>
  </div>
  <p class="hint" id="everywhere-hint">${frontlineText(locale, 'signOutEverywhereHint')}</p>
</section>
<section aria-labelledby="events-heading">
  <h2 id="events-heading">${frontlineText(locale, 'eventsHeading')}</h2>
  <p class="muted">${frontlineText(locale, 'eventsIntro')}</p>
  ${
    view.events.length === 0
      ? html`<p>${frontlineText(locale, 'eventsNone')}</p>`
      : html`<ul
    class="plain-list">${events}</ul>`
  }
</section>`;
}

/** The name of the CSRF form field, re-exported for tests that build form bodies. */
export { CSRF_FIELD };

// Views of the frontline pages: typed functions from data to HTML (the page body; the layout
// adds the frame). Everything goes through the escaping html`` template.
import { ACCESS_CODE_PATH } from '../config.js';
import { ALPHABET, CODE_LETTER_HINTS, CODE_LENGTH, LOOK_ALIKES, readCodeInput } from '../access-codes/access-code.js';
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
import type { LaunchableApp } from '../oidc/oidc-clients.store.js';
import { oidcText } from '../oidc/oidc.messages.js';
import { MIN_PASSWORD_LENGTH, RECOMMENDED_PASSWORD_LENGTH } from '../sign-in/password.js';
import { frontlineText } from './frontline.messages.js';

/** A problem to show above a form: the message, and the wait for a 429. */
export interface FormProblem {
  message: string;
  /** A second paragraph: what to do when the first does not help. */
  detail?: string;
  retryAfterSeconds?: number;
}

function problemNotice(locale: Locale, problem: FormProblem | undefined, id: string, extra?: string): SafeHtml | null {
  if (!problem) return null;
  return html`<div class="notice notice-error" role="alert" id="${id}">
  <p>${problem.message}</p>
  ${problem.detail && html`<p>${problem.detail}</p>`}
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
  <li><a href="/help/login#forgot">${labelText(locale, 'forgotPassword')}</a></li>
  <li><a href="/help/login">${labelText(locale, 'troubleSigningIn')}</a></li>
  <li><a href="${withInteraction(ACCESS_CODE_PATH, view.interaction)}">${labelText(locale, 'haveAccessCode')}</a></li>
</ul>`;
}

// ---------------------------------------------------------------------------------------------
// /help/login

export interface HelpView {
  supportContact: string;
  csrfToken: string;
  /** A request for a new code was just sent (the same words whether or not the account exists). */
  asked?: boolean;
  problem?: FormProblem;
  login?: string;
}

/** The help page: the forgotten password first (the most common case), then tips, then contact. */
export function helpBody(locale: Locale, view: HelpView): SafeHtml {
  const tips = (
    ['tipCapsLock', 'tipUsername', 'tipUsernameCase', 'tipSharedDevice', 'tipKeyboard', 'tipWait'] as const
  ).map((key) => html`<li>${frontlineText(locale, key)}</li>`);
  const errorId = view.problem ? 'ask-error' : null;
  return html`<h1>${labelText(locale, 'troubleSigningIn')}</h1>
<section id="forgot" aria-labelledby="forgot-heading">
  <h2 id="forgot-heading">${labelText(locale, 'forgotPassword')}</h2>
  <p>${frontlineText(locale, 'helpForgot')}</p>
  ${
    view.asked &&
    html`<div class="notice notice-success" role="status" id="ask-sent">
    <p>${frontlineText(locale, 'askSent')}</p>
  </div>`
  }
  ${problemNotice(locale, view.problem, 'ask-error')}
  <form method="post" action="/help/request-code" class="card" id="ask-form">
    ${csrfField(view.csrfToken)}
    <h3 class="small-heading">${labelText(locale, 'askForNewCode')}</h3>
    <p>${frontlineText(locale, 'askIntro')}</p>
    <div class="field">
      <label for="ask-login">${frontlineText(locale, 'askField')}</label>
      <span class="hint" id="ask-hint">${frontlineText(locale, 'askHint')}</span>
      <input id="ask-login" name="login" type="text" autocomplete="username" autocapitalize="none" autocorrect="off"
        spellcheck="false" required maxlength="300" value="${view.login ?? ''}"
        aria-describedby="${describedBy('ask-hint', errorId)}"${errorId ? raw(' aria-invalid="true"') : ''}>
    </div>
    <button type="submit" class="button-wide">${labelText(locale, 'askForNewCode')}</button>
  </form>
  <p>${frontlineText(locale, 'helpForgotHaveCode')} <a href="${ACCESS_CODE_PATH}">${frontlineText(
    locale,
    'helpForgotLink',
  )}</a></p>
</section>
<p class="lead">${frontlineText(locale, 'helpIntro')}</p>
<h2>${frontlineText(locale, 'helpTipsHeading')}</h2>
<ul>${tips}</ul>
<h2>${frontlineText(locale, 'helpContactHeading')}</h2>
<p>${
    view.supportContact
      ? frontlineText(locale, 'helpContact', { contact: view.supportContact })
      : frontlineText(locale, 'helpContactAdmin')
  }</p>
<ul class="links"><li><a href="/login">${frontlineText(locale, 'helpBackToLogin')}</a></li></ul>`;
}

/**
 * A new password, entered twice, with its strength meter and the "show passwords" switch
 * (public/app.js drives them): the same fields when redeeming a code and when changing a password.
 */
function newPasswordFields(
  locale: Locale,
  options: { hint?: string; errorId: string | null; invalid: SafeHtml | string; autofocus: boolean },
): SafeHtml {
  const hintId = options.hint ? 'password-rules' : null;
  return html`<div class="field">
    <label for="password">${frontlineText(locale, 'newPassword')}</label>
    ${options.hint && html`<span class="hint" id="password-rules">${options.hint}</span>`}
    <input id="password" name="password" type="password" autocomplete="new-password" required
      aria-describedby="${describedBy(hintId, 'password-strength', options.errorId)}"${options.invalid}${
        options.autofocus ? raw(' autofocus') : ''
      }>
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
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// /account/password

export interface ChangePasswordView {
  csrfToken: string;
  username: string | null;
  problem?: FormProblem;
}

export function changePasswordBody(locale: Locale, view: ChangePasswordView): SafeHtml {
  const errorId = view.problem ? 'change-error' : null;
  const invalid = errorId ? raw(' aria-invalid="true"') : '';
  return html`<h1>${frontlineText(locale, 'changePasswordTitle')}</h1>
${problemNotice(locale, view.problem, 'change-error')}
<p>${frontlineText(locale, 'changePasswordIntro')}</p>
<form method="post" action="/account/password" class="card" id="password-form">
  ${csrfField(view.csrfToken)}
  ${view.username && html`<input type="text" name="username" value="${view.username}" autocomplete="username" hidden>`}
  <div class="field">
    <label for="current-password">${frontlineText(locale, 'currentPassword')}</label>
    <input id="current-password" name="current" type="password" autocomplete="current-password" required
      ${errorId ? html`aria-describedby="${errorId}" aria-invalid="true" autofocus` : raw('autofocus')}>
  </div>
  ${newPasswordFields(locale, {
    hint: `${frontlineText(locale, 'ruleLength')} ${frontlineText(locale, 'ruleCommon')}`,
    errorId,
    invalid,
    autofocus: false,
  })}
  <div class="actions">
    <button type="submit" class="button-wide">${frontlineText(locale, 'changePasswordSave')}</button>
  </div>
</form>
<p class="muted">${frontlineText(locale, 'changePasswordForgot')}</p>
<ul class="links"><li><a href="/">${frontlineText(locale, 'homeTitle')}</a></li></ul>`;
}

/** "J, L or T": the letters a character may have been misread for, in words. */
function letterChoices(locale: Locale, letters: string): string {
  const list = letters.split(' ').filter((letter) => letter !== '');
  if (list.length <= 1) return list.join('');
  return `${list.slice(0, -1).join(', ')} ${frontlineText(locale, 'or')} ${list[list.length - 1]}`;
}

/**
 * Why typed input cannot be a code, in words: the first character that never occurs in one
 * (and what it may have been), else how many letters there are. It tells nothing about codes
 * that exist, so it can be said before anything is looked up (the page script says it live).
 */
export function malformedCodeMessage(locale: Locale, input: string): string {
  const reading = readCodeInput(input);
  const char = reading.impossible[0];
  if (char !== undefined) {
    const letters = CODE_LETTER_HINTS[char] ?? '';
    return letters
      ? frontlineText(locale, 'codeNeverIs', { char, letters: letterChoices(locale, letters) })
      : frontlineText(locale, 'codeNever', { char });
  }
  if (reading.letters.length > CODE_LENGTH)
    return frontlineText(locale, 'codeTooMany', { count: reading.letters.length });
  return frontlineText(locale, 'codeShort', { count: reading.letters.length });
}

// ---------------------------------------------------------------------------------------------
// /work/accesscode: three steps, each a POST form carrying the code in a hidden field.

export type CodeStepView = (
  | { step: 'code'; code?: string; problem?: FormProblem }
  | {
      step: 'confirm';
      code: string;
      username: string;
      problem?: FormProblem;
      /** A first claim of an account whose username was set for the person (an HR number, say). */
      claim?: boolean;
      /** The name of the person the code is for, to confirm who they are by. */
      name?: string;
    }
  | {
      step: 'choose';
      code: string;
      username?: string;
      problem?: FormProblem;
      apiCsrfToken: string;
      /** Free usernames, best first: the first fills the field when nothing was typed yet. */
      suggestions?: string[];
    }
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
      return frontlineText(locale, view.claim ? 'confirmClaimTitle' : 'confirmTitle');
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
${problemNotice(locale, view.problem, 'step-error')}
<p class="lead">${frontlineText(locale, 'codeIntro')}</p>
<form method="post" action="${ACCESS_CODE_PATH}" class="card" id="code-form">
  ${csrfField(csrfToken)}<input type="hidden" name="step" value="check">${interactionField(view.interaction)}
  <div class="field">
    <label for="code">${labelText(locale, 'accessCode')}</label>
    <span class="hint" id="code-hint">${frontlineText(locale, 'codeHint')}</span>
    <input id="code" name="code" type="text" class="code-input" autocomplete="off" autocapitalize="characters"
      autocorrect="off" spellcheck="false" inputmode="text" required maxlength="64" value="${view.code ?? ''}"
      aria-describedby="${describedBy('code-hint', 'code-status', errorId)}"${invalid}${
        errorId ? raw(' autofocus') : ''
      }>
    <span id="code-status" class="field-status" aria-live="polite"
      data-count="${frontlineText(locale, 'codeCount')}"
      data-too-many="${frontlineText(locale, 'codeTooMany')}"
      data-never-is="${frontlineText(locale, 'codeNeverIs')}"
      data-never="${frontlineText(locale, 'codeNever')}"
      data-or="${frontlineText(locale, 'or')}"
      data-hints="${JSON.stringify(CODE_LETTER_HINTS)}"
      data-look-alikes="${JSON.stringify(LOOK_ALIKES)}"
      data-alphabet="${ALPHABET}"></span>
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

  if (view.step === 'confirm' && view.claim) {
    // A username the person has never seen (set by HR): nothing to recognise, so they confirm
    // who they are by name, and are told to write the username down.
    const firstName = (view.name ?? '').trim().split(/\s+/)[0] ?? '';
    return html`${head}
${problemNotice(locale, view.problem, 'step-error')}
${firstName && html`<p class="lead">${frontlineText(locale, 'confirmClaimFor', { name: firstName })}</p>`}
<p>${frontlineText(locale, 'confirmClaimIntro')}</p>
<p class="username-box" id="confirm-username">${view.username}</p>
<div class="notice notice-info"><p><strong>${frontlineText(locale, 'writeItDown')}</strong></p></div>
<form method="post" action="${ACCESS_CODE_PATH}">
  ${hiddenCodeFields(csrfToken, 'confirm', view.code, view.username, view.interaction)}
  <button type="submit" class="button-wide" aria-describedby="confirm-username"
    autofocus>${
      firstName ? frontlineText(locale, 'confirmClaimYes', { name: firstName }) : frontlineText(locale, 'confirmYes')
    }</button>
</form>
<div class="notice notice-warning"><p>${frontlineText(locale, 'confirmClaimNo')}</p></div>`;
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
    const suggestions = view.suggestions ?? [];
    // Nothing typed yet: the best free suggestion is filled in, to keep or change.
    const prefilled = view.username === undefined && suggestions.length > 0 ? suggestions[0] : undefined;
    const value = view.username ?? prefilled ?? '';
    const offered = view.problem ? suggestions : suggestions.slice(prefilled ? 1 : 0);
    // Each suggestion is its own small form: one tap chooses it, with or without the script.
    const choices = offered.map(
      (suggestion) => html`<li><form method="post" action="${ACCESS_CODE_PATH}">
    ${hiddenCodeFields(csrfToken, 'choose', view.code, suggestion, view.interaction)}
    <button type="submit" class="button-secondary suggestion">${suggestion}</button>
  </form></li>`,
    );
    return html`${head}
${problemNotice(locale, view.problem, 'step-error')}
<p>${frontlineText(locale, 'chooseIntro')}</p>
${prefilled && html`<p class="muted" id="username-suggested">${frontlineText(locale, 'chooseSuggested')}</p>`}
<form method="post" action="${ACCESS_CODE_PATH}" class="card" id="choose-form"
  data-check-url="/api/v1/access-code/username-available" data-csrf="${view.apiCsrfToken}">
  ${hiddenCodeFields(csrfToken, 'choose', view.code, undefined, view.interaction)}
  <div class="field">
    <label for="username">${frontlineText(locale, 'chooseField')}</label>
    <span class="hint" id="username-hint">${frontlineText(locale, 'chooseHint')}</span>
    <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" autocorrect="off"
      spellcheck="false" required maxlength="64" value="${value}"
      aria-describedby="${describedBy('username-hint', 'username-status', errorId)}"${invalid} autofocus>
    <span id="username-status" class="field-status" aria-live="polite"
      data-checking="${frontlineText(locale, 'usernameChecking')}"
      data-available="${frontlineText(locale, 'usernameAvailable')}"
      data-taken="${frontlineText(locale, 'usernameTaken')}"
      data-invalid="${frontlineText(locale, 'usernameInvalid')}"
      data-free-heading="${frontlineText(locale, 'usernameFreeHeading')}"></span>
  </div>
  <button type="submit" class="button-wide">${frontlineText(locale, 'codeContinue')}</button>
</form>
<section id="username-choices" aria-labelledby="choices-heading"${offered.length === 0 ? raw(' hidden') : ''}>
  <h2 id="choices-heading" class="small-heading">${frontlineText(locale, 'usernameFreeHeading')}</h2>
  <ul class="suggestions">${choices}</ul>
</section>`;
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
  ${newPasswordFields(locale, { errorId, invalid, autofocus: true })}
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
  /** The organisation's apps with a launch URL (SPEC §4, §8). */
  apps: LaunchableApp[];
  /** Every app's name by client id, for the events about apps. */
  appNames: ReadonlyMap<string, string>;
  /** The password was just changed on /account/password. */
  passwordChanged?: boolean;
}

/**
 * The organisation's apps as big buttons: a worker's way into the rest of their work, right
 * after the welcome. Only the app's name shows; nothing of its registration.
 */
export function appsSection(locale: Locale, apps: readonly LaunchableApp[]): SafeHtml | null {
  if (apps.length === 0) return null;
  const buttons = apps.map(
    (app) => html`<li><a class="button button-wide app-button" href="${app.launchUrl}">${app.name}</a></li>`,
  );
  return html`<section aria-labelledby="apps-heading" class="apps">
  <h2 id="apps-heading">${oidcText(locale, 'appsHeading')}</h2>
  <p class="muted">${oidcText(locale, 'appsIntro')}</p>
  <ul class="app-buttons">${buttons}</ul>
</section>`;
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
export function describeEvent(
  locale: Locale,
  event: AuditEvent,
  personId: string,
  appNames: ReadonlyMap<string, string> = new Map(),
): string {
  const byOther = event.actor.id !== null && event.actor.id !== personId;
  // An app by its name, never its client id (a removed app is "an app").
  const app = (): string => appNames.get(String(event.details.clientId ?? '')) ?? oidcText(locale, 'anApp');
  switch (event.action) {
    case 'oidc.signed_in':
      return oidcText(locale, 'evAppSignedIn', { app: app() });
    case 'oidc.consented':
      return oidcText(locale, 'evAppAllowed', { app: app() });
    case 'oidc.logout_sent':
      return oidcText(locale, 'evAppSignOutSent', { app: app() });
    case 'oidc.logout_failed':
      return oidcText(locale, 'evAppSignOutFailed', { app: app() });
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
    case 'access_code.requested':
      return frontlineText(locale, 'evRequested');
    default:
      return frontlineText(locale, 'evOther');
  }
}

/**
 * Who did something to a worker's account, in words a worker understands: a person by name, an
 * API token or the command line as "an admin", never an internal label such as "token:hr-sync".
 */
export function actorWords(locale: Locale, event: AuditEvent): string {
  const label = event.actor.label;
  if (event.actor.id !== null) return label;
  if (label.startsWith('token:')) return frontlineText(locale, 'actorAdminApi');
  if (label === 'cli') return frontlineText(locale, 'actorAdminServer');
  return frontlineText(locale, 'actorKeyslip');
}

export function homeBody(locale: Locale, view: HomeView): SafeHtml {
  const { person } = view;
  // A real finish after a claim or recovery: the username, large, to write down.
  const welcome =
    view.welcome &&
    html`<section class="notice notice-success welcome" role="status" aria-labelledby="welcome-text">
  <p id="welcome-text"><strong>${frontlineText(
    locale,
    view.welcome === 'claimed' ? 'welcomeClaimed' : 'welcomeRecovered',
  )}</strong></p>
  ${
    person.username &&
    html`<p>${frontlineText(locale, 'yourUsernameIs')}</p>
  <p class="username-large">${person.username}</p>
  <p>${frontlineText(locale, 'rememberUsername')}</p>`
  }
</section>`;
  const changed =
    view.passwordChanged &&
    html`<div class="notice notice-success" role="status"><p>${frontlineText(locale, 'passwordChanged')}</p></div>`;

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
      })}, ${fillHtml(frontlineText(locale, 'lastSeen'), { date: timeElement(locale, session.last_seen_at) })}</span>
    </li>`;
  });

  const events = view.events.map((event) => {
    const at = Date.parse(event.at);
    const byAdmin = event.actor.label.startsWith('token:') || event.actor.label === 'cli';
    const byOther =
      ((event.actor.id !== null && event.actor.id !== person.id) || byAdmin) && event.action !== 'sessions.ended';
    return html`<li>
      <span>${describeEvent(locale, event, person.id, view.appNames)}</span>${
        byOther &&
        html` <span
        class="muted">${frontlineText(locale, 'evBy', { actor: actorWords(locale, event) })}</span>`
      }<br>
      <span class="muted">${timeElement(locale, at)}</span>
    </li>`;
  });

  const roleKey = person.role === 'admin' ? 'roleAdmin' : person.role === 'manager' ? 'roleManager' : 'roleMember';
  return html`<h1>${frontlineText(locale, 'homeTitle')}</h1>
${welcome}
${changed}
${appsSection(locale, view.apps)}
<section aria-labelledby="who-heading">
  <h2 id="who-heading">${frontlineText(locale, 'whoHeading')}</h2>
  <dl class="facts">
    <dt>${frontlineText(locale, 'name')}</dt><dd>${person.name}</dd>
    <dt>${frontlineText(locale, 'username')}</dt><dd>${person.username ?? frontlineText(locale, 'noUsername')}</dd>
    ${person.email && html`<dt>${frontlineText(locale, 'email')}</dt><dd>${person.email}</dd>`}
    <dt>${frontlineText(locale, 'role')}</dt>
    <dd>${frontlineText(locale, roleKey)}</dd>
  </dl>
  <p><a class="button button-secondary" href="/account/password">${frontlineText(locale, 'changePasswordLink')}</a></p>
  ${
    (person.role === 'admin' || person.role === 'manager') &&
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

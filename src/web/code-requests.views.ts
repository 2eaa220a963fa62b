// The requests for a new access code, as a short list on People (SPEC §4, "Ask for a new code"):
// who asked, when, where they work, and a link straight to "Get access code" for them.
import type { OpenCodeRequest } from '../access-codes/code-requests.js';
import { defineMessages } from '../http/i18n.js';
import { fillHtml, html, type SafeHtml } from '../http/html.js';
import type { Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { timeElement } from '../http/time.js';

export const codeRequestText = defineMessages({
  en: {
    heading: '{count} people have asked for a new code',
    headingOne: '1 person has asked for a new code',
    intro: 'They could not sign in. Check that it is them before you hand over a code.',
    asked: 'asked {date}',
    askedTimes: 'asked {times} times, last {date}',
    more: 'and {count} more',
  },
  sv: {
    heading: '{count} personer har bett om en ny kod',
    headingOne: '1 person har bett om en ny kod',
    intro: 'De kunde inte logga in. Kontrollera att det är rätt person innan du lämnar över en kod.',
    asked: 'bad om det {date}',
    askedTimes: 'bad om det {times} gånger, senast {date}',
    more: 'och {count} till',
  },
});

export function codeRequestsNotice(
  locale: Locale,
  requests: { items: OpenCodeRequest[]; total: number },
): SafeHtml | null {
  if (requests.total === 0) return null;
  const t = codeRequestText;
  const items = requests.items.map((request) => {
    const where = [request.employeeId, request.department, request.location].filter(Boolean).join(' · ');
    const when = timeElement(locale, request.requestedAt);
    return html`<li>
    <strong>${request.name}</strong>${where && html` <span class="muted">(${where})</span>`} –
    <span class="muted">${
      request.times > 1
        ? fillHtml(t(locale, 'askedTimes'), { times: String(request.times), date: when })
        : fillHtml(t(locale, 'asked'), { date: when })
    }</span>
    <a class="button button-small" href="/admin/people/${request.personId}/access-code">${labelText(
      locale,
      'getAccessCode',
    )}</a>
  </li>`;
  });
  const more = requests.total - requests.items.length;
  return html`<section class="notice notice-warning code-requests" aria-labelledby="code-requests-heading">
  <h2 id="code-requests-heading">${
    requests.total === 1 ? t(locale, 'headingOne') : t(locale, 'heading', { count: requests.total })
  }</h2>
  <p>${t(locale, 'intro')}</p>
  <ul class="plain-list">${items}</ul>
  ${more > 0 && html`<p class="muted">${t(locale, 'more', { count: more })}</p>`}
</section>`;
}

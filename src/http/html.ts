// The one template for HTML: `html\`...\`` escapes everything interpolated unless it is already
// SafeHtml (another html`` result, or raw() for text we wrote ourselves). Arrays are joined;
// null, undefined and false render as nothing, so `${cond && html\`...\`}` reads naturally.
// In the spirit of Hono's `html` helper and node-oidc-provider's `html_safe.js`.

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

/** Marks trusted HTML (never user input) as safe to insert unescaped. */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((item: HtmlValue) => render(item)).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/**
 * A translated message with HTML in its placeholders: the message text is escaped, each `{name}`
 * is replaced by its value (escaped unless SafeHtml).
 * E.g. fillHtml('Signed in {date}', { date: html`<time>…</time>` }).
 */
export function fillHtml(message: string, vars: Record<string, HtmlValue>): SafeHtml {
  let out = '';
  let last = 0;
  for (const match of message.matchAll(/\{(\w+)\}/g)) {
    const name = match[1]!;
    if (!(name in vars)) continue;
    out += escapeHtml(message.slice(last, match.index)) + render(vars[name]);
    last = match.index + match[0].length;
  }
  return new SafeHtml(out + escapeHtml(message.slice(last)));
}

// The pages of an app's sign-in (/login, /work/accesscode and the consent page, while they carry
// an interaction) post forms whose answer is a chain of redirects ending at the app's
// redirect_uri. Browsers apply the page's CSP `form-action` to every redirect of a form
// submission (Chromium blocks the last hop with form-action 'self'), so on these pages, and only
// for the one interaction, form-action also names the app's own origin — the redirect_uri that
// oidc-provider already checked against the app's registration. Everywhere else it stays 'self'.
import type { FastifyReply } from 'fastify';
import type { Deps } from '../deps.js';

/** The CSP source of a redirect URI: its origin, or for a native app's custom scheme the scheme. */
export function formActionSourceOf(redirectUri: unknown): string | null {
  if (typeof redirectUri !== 'string') return null;
  const parsed = URL.parse(redirectUri);
  if (!parsed) return null;
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.origin;
  return /^[a-z][a-z0-9+.-]*:$/.test(parsed.protocol) ? parsed.protocol : null;
}

/** Adds `source` to the form-action directive of the CSP already set on this response. */
export function allowFormActionTo(reply: FastifyReply, source: string): void {
  const csp = reply.raw.getHeader('content-security-policy');
  if (typeof csp !== 'string') return;
  const widened = csp.replace(
    /(^|;)(\s*)form-action ([^;]*)/,
    (_whole, start: string, space: string, sources: string) => `${start}${space}form-action ${sources} ${source}`,
  );
  reply.raw.setHeader('content-security-policy', widened);
}

/** For a page of the interaction `uid`: lets its forms lead back to the app (see above). */
export async function allowFormActionForInteraction(deps: Deps, reply: FastifyReply, uid: string): Promise<void> {
  const row = await deps.db
    .selectFrom('oidc_payloads')
    .select(['payload', 'expires_at'])
    .where('model', '=', 'Interaction')
    .where('id', '=', uid)
    .executeTakeFirst();
  if (!row || (row.expires_at !== null && row.expires_at <= deps.clock.now())) return;
  const params = (JSON.parse(row.payload) as { params?: { redirect_uri?: unknown } }).params;
  const source = formActionSourceOf(params?.redirect_uri);
  if (source) allowFormActionTo(reply, source);
}

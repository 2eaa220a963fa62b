// The client's address as Keyslip counts it: Fastify's request.ip (the socket peer, or with
// KEYSLIP_TRUST_PROXY the nearest untrusted X-Forwarded-For entry), with any port dropped.
// Some proxies append `1.2.3.4:5678` or `[2001:db8::1]:80`; counted as written, every port
// would be a new client for the rate limits and the audit log.
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { SessionMeta } from '../sessions/session.js';

/** The bare address of `1.2.3.4:5678`, `[::1]:80` or `[::1]`; anything else as given (trimmed). */
export function bareAddress(value: string): string {
  const text = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed && isIP(bracketed[1]!) === 6) return bracketed[1]!;
  const withPort = /^([^:]+):\d{1,5}$/.exec(text);
  if (withPort && isIP(withPort[1]!) === 4) return withPort[1]!;
  return text;
}

export function clientAddressOf(request: FastifyRequest): string | null {
  const ip = request.ip;
  return typeof ip === 'string' && ip !== '' ? bareAddress(ip) : null;
}

/** Who is asking, as sessions and the audit log record it: the address and the user agent. */
export function clientOf(request: FastifyRequest): SessionMeta {
  const userAgent = request.headers['user-agent'];
  return { ip: clientAddressOf(request), userAgent: typeof userAgent === 'string' ? userAgent : null };
}

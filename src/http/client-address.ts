// The client's address as Keyslip counts it: Fastify's request.ip (the socket peer, or with
// KEYSLIP_TRUST_PROXY the nearest untrusted X-Forwarded-For entry), with any port dropped.
// Some proxies append `1.2.3.4:5678` or `[2001:db8::1]:80`; counted as written, every port
// would be a new client for the rate limits and the audit log.
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

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

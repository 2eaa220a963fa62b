import type {} from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import type { NewSession } from '../sessions/session.js';
import { SESSION_COOKIE } from '../sessions/session.js';

/** HttpOnly (no script reads it), SameSite=Lax, Secure whenever the public address is https. */
export function setSessionCookie(reply: FastifyReply, config: Config, session: NewSession, now: number): void {
  reply.setCookie(SESSION_COOKIE, session.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.baseUrl.startsWith('https://'),
    path: '/',
    maxAge: Math.max(0, Math.floor((session.expiresAt - now) / 1000)),
  });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: config.baseUrl.startsWith('https://'), path: '/' });
}

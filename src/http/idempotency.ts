// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on the API's single creates and
// issues. The first request with a key reserves it (per caller), runs, and stores its successful
// answer sealed with the server key; a retry with the same key and the same request gets that
// answer again with `Idempotent-Replayed: true`; the same key with another request is 422, and
// while the first is still running, 409. A failed request frees its key (nothing was done).
// Keys live IDEMPOTENCY_HOURS. An answer that carries an access code is kept only for the
// batch download window (KEYSLIP_BATCH_MINUTES); a retry after that is 410 and shows no code.
// Bulk issue keeps its own keys with its batches (batches.service.ts).
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { uniqueViolationColumn } from '../db/database.js';
import { AppError } from '../errors.js';
import { HOUR, MINUTE } from '../lib/clock.js';
import { decrypt, encrypt } from '../lib/keyring.js';

export const IDEMPOTENCY_HOURS = 24;
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,200}$';

/** The Idempotency-Key header, checked; undefined when the request has none. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !new RegExp(IDEMPOTENCY_KEY_PATTERN).test(raw)) {
    throw new AppError('validation_failed', {
      message: 'Idempotency-Key must be 1–200 visible ASCII characters.',
      fields: [{ field: 'Idempotency-Key', code: 'not_valid' }],
    });
  }
  return raw;
}

export interface IdempotentAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The person the answer is about: erasing them deletes the stored answer. */
  personId?: string | null;
}

function ownerOf(request: FastifyRequest): string {
  const actor = request.auth.actor;
  return `${actor.kind}:${actor.id ?? actor.label}`;
}

function requestHashOf(request: FastifyRequest): string {
  const route = `${request.method} ${request.url.split('?')[0]}`;
  return createHash('sha256')
    .update(JSON.stringify([route, request.body ?? null]))
    .digest('base64url');
}

function send(reply: FastifyReply, answer: IdempotentAnswer, replayed: boolean): FastifyReply {
  for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
  if (replayed) reply.header('Idempotent-Replayed', 'true');
  return reply.status(answer.status).send(answer.body);
}

/**
 * Runs `run` once per Idempotency-Key (when the request has one) and sends its answer.
 * `carriesSecret`: the answer holds an access code, so it is kept only for the download window.
 */
export async function answerOnce(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { carriesSecret: boolean },
  run: () => Promise<IdempotentAnswer>,
): Promise<FastifyReply> {
  const key = idempotencyKeyOf(request);
  if (key === undefined) return send(reply, await run(), false);
  const db = deps.db;
  const owner = ownerOf(request);
  const hash = requestHashOf(request);
  const now = deps.clock.now();
  const associatedData = `${owner}\n${key}`;
  await db.deleteFrom('api_idempotency').where('expires_at', '<=', now).execute();
  // An answer past its time (one with a code: the download window) is erased; the key stays.
  await db
    .updateTable('api_idempotency')
    .set({ answer: null })
    .where('answer_until', '<=', now)
    .where('answer', 'is not', null)
    .execute();
  try {
    await db
      .insertInto('api_idempotency')
      .values({
        owner,
        idempotency_key: key,
        request_hash: hash,
        status: 0,
        answer: null,
        person_id: null,
        created_at: now,
        answer_until: now + (options.carriesSecret ? deps.config.batchMinutes * MINUTE : IDEMPOTENCY_HOURS * HOUR),
        expires_at: now + IDEMPOTENCY_HOURS * HOUR,
      })
      .execute();
  } catch (error) {
    if (uniqueViolationColumn(error) === null) throw error;
    const earlier = await db
      .selectFrom('api_idempotency')
      .selectAll()
      .where('owner', '=', owner)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    if (!earlier) throw new AppError('idempotency_in_progress');
    if (earlier.request_hash !== hash) throw new AppError('idempotency_conflict');
    if (earlier.status === 0) throw new AppError('idempotency_in_progress');
    const sealed = earlier.answer !== null && now < earlier.answer_until ? earlier.answer : null;
    const plain = sealed === null ? null : decrypt(deps.keyring, 'idempotent answer', sealed, { associatedData });
    if (plain === null) {
      reply.header('Idempotent-Replayed', 'true');
      throw new AppError('batch_expired', {
        message: 'This request was already done; its answer is no longer kept. Read the current state instead.',
      });
    }
    return send(reply, JSON.parse(plain) as IdempotentAnswer, true);
  }
  let answer: IdempotentAnswer;
  try {
    answer = await run();
  } catch (error) {
    await db.deleteFrom('api_idempotency').where('owner', '=', owner).where('idempotency_key', '=', key).execute();
    throw error;
  }
  const stored = { status: answer.status, body: answer.body, headers: answer.headers ?? {} };
  await db
    .updateTable('api_idempotency')
    .set({
      status: answer.status,
      answer: encrypt(deps.keyring, 'idempotent answer', JSON.stringify(stored), { associatedData }),
      person_id: answer.personId ?? null,
    })
    .where('owner', '=', owner)
    .where('idempotency_key', '=', key)
    .execute();
  return send(reply, answer, false);
}

// Batch codes and the shown-once code are sealed with AES-256-GCM (SPEC §2 "Secret handling"): a
// key per purpose derived from the server secret, the full 16-byte tag, and associated data that
// binds each ciphertext to what it belongs to (the batch; the admin's session and the person).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCodes, readBatchCodes, type BatchItem } from '../../src/access-codes/batches.service.js';
import type { Deps } from '../../src/deps.js';
import { createKeyring, decrypt, encrypt } from '../../src/lib/keyring.js';
import { createPerson } from '../../src/people/people.service.js';
import { createTestContext, DIALECTS, TEST_SECRET, type TestContext } from '../helpers/deps.js';

const keyring = createKeyring([TEST_SECRET]);
const batchA = { associatedData: '0190a000-0000-7000-8000-00000000000a' };
const batchB = { associatedData: '0190a000-0000-7000-8000-00000000000b' };

describe('sealing codes', () => {
  it('the two purposes use different keys: a batch code does not open as a shown code', () => {
    const key = keyring.current;
    expect(key.encryption['batch code'].equals(key.encryption['shown code'])).toBe(false);
    expect(key.encryption['batch code']).toHaveLength(32);
    const sealed = encrypt(keyring, 'batch code', 'BCDFGHJKLMNPQRST', batchA);
    expect(decrypt(keyring, 'batch code', sealed, batchA)).toBe('BCDFGHJKLMNPQRST');
    expect(decrypt(keyring, 'shown code', sealed, batchA)).toBeNull();
  });

  it('a ciphertext from batch A does not decrypt as batch B', () => {
    const sealed = encrypt(keyring, 'batch code', 'BCDFGHJKLMNPQRST', batchA);
    expect(decrypt(keyring, 'batch code', sealed, batchB)).toBeNull();
    expect(decrypt(keyring, 'batch code', sealed, batchA)).toBe('BCDFGHJKLMNPQRST');
  });

  it('a truncated (or lengthened) tag is refused', () => {
    const sealed = encrypt(keyring, 'shown code', 'secret', batchA);
    const [keyId, iv, tag, data] = sealed.split('.') as [string, string, string, string];
    const tagBytes = Buffer.from(tag, 'base64url');
    expect(tagBytes).toHaveLength(16);
    // A GCM tag cut short is still a valid prefix of the real tag: only the length check refuses it.
    for (const length of [4, 8, 12, 15]) {
      const cut = [keyId, iv, tagBytes.subarray(0, length).toString('base64url'), data].join('.');
      expect(decrypt(keyring, 'shown code', cut, batchA), `tag of ${length} bytes`).toBeNull();
    }
    const longer = [keyId, iv, Buffer.concat([tagBytes, Buffer.from([0])]).toString('base64url'), data].join('.');
    expect(decrypt(keyring, 'shown code', longer, batchA)).toBeNull();
    expect(decrypt(keyring, 'shown code', sealed, batchA)).toBe('secret');
  });
});

describe.each(DIALECTS)('batch downloads (%s)', (dialect) => {
  let context: TestContext;
  beforeEach(async () => {
    context = await createTestContext(dialect);
  });
  afterEach(async () => {
    await context.close();
  });

  const read = async (deps: Deps, batchId: string): Promise<BatchItem[]> => {
    const items: BatchItem[] = [];
    for await (const item of readBatchCodes(deps, batchId)) items.push(item);
    return items;
  };

  it("batch A's sealed codes copied into batch B's place are not offered in B's download", async () => {
    const deps = context.deps;
    await createPerson(deps, { name: 'Ann Alpha', employeeId: 'A1' }, CLI_ACTOR);
    await createPerson(deps, { name: 'Bo Beta', employeeId: 'B1' }, CLI_ACTOR);
    const a = await issueAccessCodes(deps, { filter: { q: 'alpha' }, actor: CLI_ACTOR });
    context.clock.advance(1000);
    const b = await issueAccessCodes(deps, { filter: { q: 'beta' }, actor: CLI_ACTOR });
    const [fromA] = await read(deps, a.batch.id);
    expect(fromA?.name).toBe('Ann Alpha');
    expect((await read(deps, b.batch.id)).map((item) => item.name)).toEqual(['Bo Beta']);
    // Nothing of a batch's codes is kept in the clear: the chunk holds neither code.
    const chunks = await deps.db.selectFrom('batch_code_chunks').select(['batch_id', 'sealed']).execute();
    expect(chunks).toHaveLength(2);
    expect(chunks.map((chunk) => chunk.sealed).join()).not.toContain(fromA!.code.replaceAll('-', ''));

    // Someone with write access to the table moves A's sealed chunk into B's place.
    const sealedA = chunks.find((chunk) => chunk.batch_id === a.batch.id)!.sealed;
    await deps.db
      .updateTable('batch_code_chunks')
      .set({ sealed: sealedA })
      .where('batch_id', '=', b.batch.id)
      .execute();
    const afterSwap = await read(deps, b.batch.id);
    expect(afterSwap.map((item) => item.code)).not.toContain(fromA!.code);
    expect(afterSwap).toEqual([]);
  });
});

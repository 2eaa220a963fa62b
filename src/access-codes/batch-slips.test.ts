import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPerson, client } from '../../test/helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { CLI_ACTOR } from '../audit/audit.js';
import type { Deps } from '../deps.js';
import { newId } from '../lib/id.js';
import { redeemAccessCode } from './access-codes.service.js';
import { readBatchSlips, surnameOf } from './batch-slips.js';
import { issueAccessCodes, readBatchCodes } from './batches.service.js';

describe.each(DIALECTS)('a batch’s slips in hand-out order (%s)', (dialect) => {
  let context: TestContext;
  let deps: Deps;
  beforeEach(async () => {
    context = await createTestContext(dialect);
    deps = context.deps;
  });
  afterEach(async () => {
    await context.close();
  });

  async function area(name: string, members: string[]): Promise<void> {
    const now = deps.clock.now();
    const id = newId(now);
    await deps.db
      .insertInto('areas')
      .values({ id, name, name_key: name.toLowerCase(), created_at: now, updated_at: now })
      .execute();
    for (const person_id of members)
      await deps.db.insertInto('area_members').values({ area_id: id, person_id, added_at: now }).execute();
  }

  it('orders by first area by name (else location), department and surname, and leaves out used codes', async () => {
    const add = (name: string, employeeId: string, department?: string, location?: string) =>
      addPerson(deps, { name, employeeId, ...(department ? { department } : {}), ...(location ? { location } : {}) });
    // Created out of order on purpose: creation order is what the slips used to follow.
    const zeta = await add('Zeta Öberg', 'E1', 'Kassa', 'Lager Norr');
    const timo2 = await add('Timo Laine', 'E3', 'Kassa', 'Huvudkontor');
    const anna = await add('Anna Wójcik', 'E2', 'Kassa', 'Huvudkontor');
    const timo1 = await add('Timo Laine', 'E4', 'Chark', 'Huvudkontor');
    const lone = await add('Lone Worker', 'E5');
    const gone = await add('Used Code', 'E6', 'Kassa');
    // The area wins over the location; of two areas, the first by name.
    await area('Butik 214 Gränby', [timo2.id, anna.id, timo1.id]);
    await area('Öst region', [timo2.id]);
    await area('Butik 100 Nordstan', [gone.id]);

    const { batch } = await issueAccessCodes(deps, { filter: { hasEmail: false }, actor: CLI_ACTOR });
    const codes = new Map<string, string>();
    for await (const item of readBatchCodes(deps, batch.id)) codes.set(item.id, item.code);
    await redeemAccessCode(deps, {
      code: codes.get(gone.id)!,
      username: 'used.code',
      password: 'a long enough passphrase',
      client: client(),
    });

    const slips = [];
    for await (const slip of readBatchSlips(deps, batch.id, 'sv')) slips.push(slip);
    expect(slips.map((slip) => [slip.store, slip.department, slip.name, slip.employeeId])).toEqual([
      ['Butik 214 Gränby', 'Chark', 'Timo Laine', 'E4'],
      ['Butik 214 Gränby', 'Kassa', 'Timo Laine', 'E3'],
      ['Butik 214 Gränby', 'Kassa', 'Anna Wójcik', 'E2'],
      ['Lager Norr', 'Kassa', 'Zeta Öberg', 'E1'],
      [null, null, 'Lone Worker', 'E5'],
    ]);
    // Each slip carries its own person's code.
    for (const slip of slips) expect(slip.code).toBe(codes.get(slip.id));
    expect(slips.map((slip) => slip.id)).toEqual([timo1.id, timo2.id, anna.id, zeta.id, lone.id]);
  });

  it('names a store within a batch’s area, even when another comes first by name', async () => {
    const areaId = async (name: string, members: string[]) => {
      await area(name, members);
      const row = await deps.db.selectFrom('areas').select('id').where('name', '=', name).executeTakeFirstOrThrow();
      return row.id;
    };
    const both = await addPerson(deps, { name: 'Both Stores', employeeId: 'E7', location: 'Huvudkontor' });
    const other = await addPerson(deps, { name: 'Other Only', employeeId: 'E8', location: 'Lager Norr' });
    await areaId('Butik 001 Först', [both.id, other.id]);
    const gränby = await areaId('Butik 214 Gränby', [both.id]);

    const { batch } = await issueAccessCodes(deps, { filter: { area: gränby }, actor: CLI_ACTOR });
    const slips = [];
    for await (const slip of readBatchSlips(deps, batch.id, 'sv')) slips.push(slip);
    expect(slips.map((slip) => [slip.name, slip.store])).toEqual([['Both Stores', 'Butik 214 Gränby']]);

    // Without an area in the batch's filter, the first area by name, as before.
    const { batch: everyone } = await issueAccessCodes(deps, { filter: { hasEmail: false }, actor: CLI_ACTOR });
    const all = [];
    for await (const slip of readBatchSlips(deps, everyone.id, 'sv')) all.push(slip);
    expect(all.map((slip) => [slip.name, slip.store])).toEqual([
      ['Other Only', 'Butik 001 Först'],
      ['Both Stores', 'Butik 001 Först'],
    ]);
  });

  it('takes the surname as the last word of the name', () => {
    expect(surnameOf('  Sara  Sjögren ')).toBe('Sjögren');
    expect(surnameOf('Mustafa Al-Sayed')).toBe('Al-Sayed');
    expect(surnameOf('Madonna')).toBe('Madonna');
  });
});

import { randomBytes } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

// Random bits are drawn 256 ids' worth at a time: one CSPRNG call per id cost a bulk issue of a
// million codes (two ids each) seconds of its time.
const POOLED_IDS = 256;
let pool = Buffer.alloc(0);
let pooled = 0;

function randomSixteen(): Buffer {
  if (pooled >= POOLED_IDS) pooled = 0;
  if (pooled === 0) pool = randomBytes(16 * POOLED_IDS);
  const bytes = pool.subarray(pooled * 16, pooled * 16 + 16);
  pooled += 1;
  return bytes;
}

/**
 * UUIDv7 (RFC 9562): 48 bits of milliseconds then randomness, so ids sort by creation time and
 * keyset pagination over them is stable. A per-process counter in the random bits keeps ids made
 * in the same millisecond in order.
 */
export function newId(nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1;
      sequence = 0;
    }
    nowMs = lastMs;
  } else {
    lastMs = nowMs;
    sequence = 0;
  }
  const bytes = randomSixteen();
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';

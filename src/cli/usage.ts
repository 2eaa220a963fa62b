/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export function required(value: string | boolean | undefined, flag: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`${flag} is required.`);
  return value;
}

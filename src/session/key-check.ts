import { timingSafeEqual } from 'node:crypto';

/**
 * Compares a given key with the API key in constant time (only a length difference shows in the
 * time, and the key's length is no secret worth keeping).
 */
export function keyMatcher(apiKey: string): (given: string) => boolean {
  const expected = Buffer.from(apiKey);
  return (given) => {
    const key = Buffer.from(given);
    return key.length === expected.length && timingSafeEqual(key, expected);
  };
}

/**
 * Numeric response headers, read so that a missing header fails: `Number(null)` is 0, which passes
 * `>= 0`, `< total time` and `toBe(0)` alike.
 */
export function integerHeader(headers: Headers, name: string): number {
  const value = headers.get(name);
  expect({ [name]: value }).toEqual({ [name]: expect.stringMatching(/^\d+$/) });
  return Number(value);
}

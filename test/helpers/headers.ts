/**
 * Numeric response headers, read so that a missing header fails: `Number(null)` is 0, which passes
 * `>= 0`, `< total time` and `toBe(0)` alike.
 */
export function integerHeader(headers: Headers, name: string): number {
  const value = headers.get(name);
  expect({ [name]: value }).toEqual({ [name]: expect.stringMatching(/^\d+$/) });
  return Number(value);
}

/** `x-switchyard-cost-usd` (six decimals) in micro-dollars; fails when the header is missing or malformed. */
export function costMicrosHeader(headers: Headers): number {
  const value = headers.get('x-switchyard-cost-usd');
  expect({ 'x-switchyard-cost-usd': value }).toEqual({
    'x-switchyard-cost-usd': expect.stringMatching(/^\d+\.\d{6}$/),
  });
  return Math.round(Number(value) * 1e6);
}

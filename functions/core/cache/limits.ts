/** Bounds of the response cache's settings, shared by the config schema and key records (no zod here). */

/** DynamoDB's item limit is 400 KB (names and values); an answer must leave room for the rest of the item. */
export const MAX_CACHE_ENTRY_BYTES = 380_000;
/** Longest TTL the config or a key may set: cached answers are a convenience, not an archive. */
export const MAX_CACHE_TTL_SECONDS = 30 * 86_400;

/** Partition key of an endpoint's items in the state table (`sk` = `breaker` | `health`). */
export const endpointPk = (endpointId: string) => `endpoint#${endpointId}`;

/** The endpoint id back from a state item's partition key. */
export const endpointIdOf = (pk: string) => pk.slice(endpointPk('').length);

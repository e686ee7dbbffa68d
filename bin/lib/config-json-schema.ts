import { z } from 'zod/mini';
import { ConfigSchema } from '../../functions/core/config/schema';

/** The JSON Schema users' editors see; `io: 'input'` because users write the pre-default form. */
export function configJsonSchema(): object {
  return z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-2020-12' });
}

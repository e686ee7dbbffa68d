/** Writes config/switchyard.schema.json from the zod schema, so editors validate the config as users type. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema } from './lib/config-json-schema';

const out = join(__dirname, '..', 'config', 'switchyard.schema.json');
writeFileSync(out, JSON.stringify(configJsonSchema(), null, 2) + '\n');
console.log(`wrote ${out}`);

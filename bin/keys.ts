#!/usr/bin/env node
/**
 * `npm run keys -- create|list|show|revoke ...`: virtual API keys in the keys table of the local
 * runtime (`--endpoint`, printed by `npm start`) or of a deployed stack (`--table`), or through the
 * gateway's admin endpoints with an admin key (`--api`). See KEYS_USAGE.
 */
import { runKeysCli } from './keys-cli';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
runKeysCli(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env }).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`keys failed: ${(err as Error)?.message ?? err}`);
    process.exit(1);
  },
);

/**
 * Import rules of the tree (docs/architecture/import-rules.md explains each one).
 * `npm run lint:imports` checks them and `npm test` runs that before jest: a violation prints
 * `error <rule-name>: <from> → <to>` and fails the run. Paths are relative to the repository root;
 * Node builtins resolve to their bare name (`fs`, `node:fs` alike) and packages to `node_modules/...`.
 */
const HANDLERS = '(router|health-check|pre-traffic|authorizer|preflight)';

/** The only packages and builtins the pure core may use: schemas, the tokenizer, hashing. */
const CORE_PACKAGES = '^node_modules/(zod|gpt-tokenizer)/';
const CORE_BUILTINS = '^crypto$';

module.exports = {
  forbidden: [
    {
      name: 'core-no-io',
      comment:
        'functions/core is pure: no Node builtin with I/O (fs, net, http, child_process, ...) and no package ' +
        'but zod and gpt-tokenizer (no AWS SDK, no undici, no powertools). Put the I/O in an adapter behind a port.',
      severity: 'error',
      from: { path: '^functions/core/' },
      to: {
        path: ['^node_modules/', '^[^/]+$'],
        pathNot: [CORE_PACKAGES, CORE_BUILTINS],
      },
    },
    {
      name: 'core-only-core',
      comment: 'functions/core imports nothing outside functions/core (no ports, contracts, adapters, handlers).',
      severity: 'error',
      from: { path: '^functions/core/' },
      to: { dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-no-pkg', 'npm-unknown'], pathNot: '^functions/core/' },
    },
    {
      name: 'ports-only-core-types',
      comment:
        'functions/ports declares interfaces in domain terms: it imports only other ports and types from ' +
        'functions/core and functions/contracts (plus the node:stream Readable type), never AWS or DynamoDB types.',
      severity: 'error',
      from: { path: '^functions/ports/' },
      to: { pathNot: ['^functions/(ports|core|contracts)/', '^stream$'] },
    },
    {
      name: 'ports-type-only',
      comment: 'functions/ports takes only types from core and contracts (`import type`), no runtime values.',
      severity: 'error',
      from: { path: '^functions/ports/' },
      to: { path: ['^functions/(core|contracts)/', '^stream$'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'contracts-only-core',
      comment:
        'functions/contracts is shared by lib, local and functions: it imports only core and other contracts ' +
        '(and Node builtins for the config source), no adapters, ports, handlers or packages.',
      severity: 'error',
      from: { path: '^functions/contracts/' },
      to: { path: ['^functions/', '^node_modules/'], pathNot: '^functions/(core|contracts)/' },
    },
    {
      name: 'adapters-not-handlers',
      comment:
        'An adapter implements a port; it never imports a handler (router, health-check, pre-traffic, preflight, ' +
        'authorizer). Move what both need into ports, contracts or core.',
      severity: 'error',
      from: { path: '^functions/adapters/' },
      to: { path: `^functions/${HANDLERS}/` },
    },
    {
      name: 'adapters-not-sibling-adapters',
      comment:
        'An adapter folder does not reach into another adapter folder; only adapters/aws (shared AWS client ' +
        'options) is common to all of them.',
      severity: 'error',
      from: { path: '^functions/adapters/([^/]+)/' },
      to: { path: '^functions/adapters/', pathNot: ['^functions/adapters/$1/', '^functions/adapters/aws/'] },
    },
    {
      name: 'providers-not-sibling-providers',
      comment: 'One folder per upstream kind (adapters/providers/<kind>/): a kind never imports another kind.',
      severity: 'error',
      from: { path: '^functions/adapters/providers/([^/]+)/' },
      to: { path: '^functions/adapters/providers/[^/]+/', pathNot: '^functions/adapters/providers/$1/' },
    },
    {
      name: 'handlers-not-sibling-handlers',
      comment:
        'Each Lambda folder (router, health-check, pre-traffic, authorizer, preflight) is its own room: it never imports ' +
        "another one's files. Share through core, ports, contracts or adapters.",
      severity: 'error',
      from: { path: `^functions/${HANDLERS}/` },
      to: { path: `^functions/${HANDLERS}/`, pathNot: '^functions/$1/' },
    },
    {
      name: 'apis-translate-only',
      comment:
        'A client API translator (functions/router/apis/<api>/) uses core, ports, contracts, the shared ' +
        "apis/*.ts helpers and the router's HttpResult (router/http.ts); no routing, chat executor or adapters.",
      severity: 'error',
      from: { path: '^functions/router/apis/' },
      to: {
        path: '^functions/',
        pathNot: ['^functions/(core|ports|contracts)/', '^functions/router/apis/', '^functions/router/http[.]ts$'],
      },
    },
    {
      name: 'apis-not-sibling-apis',
      comment: 'One translator per client API: functions/router/apis/<api>/ never imports another <api>.',
      severity: 'error',
      from: { path: '^functions/router/apis/([^/]+)/' },
      to: { path: '^functions/router/apis/[^/]+/', pathNot: '^functions/router/apis/$1/' },
    },
    {
      name: 'lib-only-contracts-and-core',
      comment:
        'lib/ (CDK) takes from functions/ only functions/contracts and functions/core (constants, pure helpers, ' +
        'types); no ports, adapters or handler code. Lambda code reaches lib/ as entry paths, not imports.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^functions/', pathNot: '^functions/(contracts|core)/' },
    },
    {
      name: 'lib-not-tools',
      comment: 'lib/ is the infrastructure only: it never imports local/, test/, bench/ or bin/.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(local|test|bench|bin)/' },
    },
    {
      name: 'functions-not-tools',
      comment: 'Lambda code never imports local/, test/, bench/, bin/ or lib/: none of it is deployed.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^(local|test|bench|bin|lib)/' },
    },
    {
      name: 'bench-not-test',
      comment: 'bench/ never imports test/; shared in-memory pieces live in local/ (e.g. local/in-memory/).',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'runtime-not-test',
      comment: 'local/, bin/ and examples/ never import test/: only tests import tests.',
      severity: 'error',
      from: { path: '^(local|bin|examples)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles: every arrow runs one way.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` counts: a port that takes a DynamoDB type breaks the rule as much as a value import.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      dot: { collapsePattern: '^(node_modules/[^/]+|functions/[^/]+|[^/]+)/' },
    },
  },
};

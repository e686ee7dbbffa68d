import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KEYS_TABLE } from '../../functions/contracts/table-specs';
import {
  AUTHORIZER_CACHE_MS_ENV,
  KEY_HEADER_MODE_ENV,
  keyHeaderSpec,
  type KeyHeaderMode,
} from '../../functions/core/key-headers';
import { SwitchyardFunction } from './node-function';

export interface AuthorizerFunctionProps {
  /** The table built from `KEYS_TABLE`. */
  readonly keysTable: dynamodb.ITable;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Where clients may send the key; must match the API's identity sources. @default 'authorization' */
  readonly keyHeaderMode?: KeyHeaderMode;
  /**
   * The decision cache TTL. Applied by API Gateway when the mode allows its cache; otherwise the
   * function keeps its own per-instance cache of key records for this long.
   * @default Duration.seconds(60)
   */
  readonly cacheTtl?: Duration;
  /**
   * Reserved concurrency: every API request needs an authorizer decision (a cache miss runs the
   * function), so the router's long streams must never take its last execution environment.
   * @default AUTHORIZER_RESERVED_CONCURRENCY
   */
  readonly reservedConcurrency?: number;
}

/**
 * ~50 ms per decision: 50 environments decide ~1,000 cache misses a second, twice the default
 * stage rate. docs/operations/concurrency.md has the arithmetic.
 */
export const AUTHORIZER_RESERVED_CONCURRENCY = 50;

/**
 * The API Gateway REQUEST authorizer: Bearer key -> hashed key record. Reads key items of the keys
 * table (GetItem only); its only write is the key's `lastUsedAt` (IAM allows UpdateItem on key items
 * and that attribute only).
 * Rate-limit windows are the router's job.
 */
export class AuthorizerFunction extends Construct {
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: AuthorizerFunctionProps) {
    super(scope, id);
    const spec = keyHeaderSpec(props.keyHeaderMode);
    const cacheTtl = props.cacheTtl ?? Duration.seconds(60);
    const fn = new SwitchyardFunction(this, 'Authorizer', {
      entry: 'functions/authorizer/handler.ts',
      description: 'Switchyard virtual-key authorizer (API Gateway REQUEST authorizer)',
      memorySize: 256,
      timeout: Duration.seconds(10),
      reservedConcurrency: props.reservedConcurrency ?? AUTHORIZER_RESERVED_CONCURRENCY,
      // CodeDeploy may shift the alias back to the previous version: keep it (authorizer-cutover.ts).
      retainVersions: true,
      environment: {
        [KEYS_TABLE.envVar]: props.keysTable.tableName,
        [KEY_HEADER_MODE_ENV]: spec.mode,
        [AUTHORIZER_CACHE_MS_ENV]: String(spec.apiGatewayCache ? 0 : cacheTtl.toMilliseconds()),
        POWERTOOLS_SERVICE_NAME: 'switchyard-authorizer',
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = fn.function;
    // One GetItem per decision, on a key item: no Scan or Query (every key hash), no rate-limit windows.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadKeyRecords',
        actions: ['dynamodb:GetItem'],
        resources: [props.keysTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*'] } },
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TouchKeyLastUsedAt',
        actions: ['dynamodb:UpdateItem'],
        resources: [props.keysTable.tableArn],
        conditions: {
          // Fine-grained access: key items only (never rate-limit windows), and no attribute but
          // lastUsedAt (plus the key attributes every request names), returning nothing.
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*'] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'lastUsedAt'] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
        },
      }),
    );
  }
}

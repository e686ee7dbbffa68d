import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KEYS_TABLE } from '../../functions/adapters/dynamo/table-specs';
import { SwitchyardFunction } from './node-function';

export interface AuthorizerFunctionProps {
  /** The table built from `KEYS_TABLE`. */
  readonly keysTable: dynamodb.ITable;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The API Gateway REQUEST authorizer: Bearer key -> hashed key record. Reads the keys table and
 * nothing else; it never writes (rate-limit windows are the router's job).
 */
export class AuthorizerFunction extends Construct {
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: AuthorizerFunctionProps) {
    super(scope, id);
    const fn = new SwitchyardFunction(this, 'Authorizer', {
      entry: 'functions/authorizer/handler.ts',
      description: 'Switchyard virtual-key authorizer (API Gateway REQUEST authorizer)',
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: {
        [KEYS_TABLE.envVar]: props.keysTable.tableName,
        POWERTOOLS_SERVICE_NAME: 'switchyard-authorizer',
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = fn.function;
    props.keysTable.grantReadData(this.function);
  }
}

import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_SPECS, type TableSpec } from '../../functions/contracts/table-specs';

export type TableName = TableSpec['name'];

export interface TablesProps {
  /** RETAIN (default) keeps the data when the stack is deleted; DESTROY is for throwaway dev stacks. */
  readonly removalPolicy?: RemovalPolicy;
}

export interface SpecTable {
  readonly spec: TableSpec;
  readonly table: dynamodb.Table;
}

/**
 * The DynamoDB tables, one per entry of `TABLE_SPECS`: names, keys and TTL attribute come from the
 * specs (shared with the local runtime), never from here. Physical names are left to
 * CloudFormation so several stacks (regions, dev copies) can live in one account.
 */
export class SwitchyardTables extends Construct {
  readonly all: readonly SpecTable[];
  private readonly byName: ReadonlyMap<TableName, dynamodb.Table>;

  constructor(scope: Construct, id: string, props: TablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const keyOf = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

    this.all = TABLE_SPECS.map((spec) => ({
      spec,
      table: new dynamodb.Table(this, logicalName(spec), {
        partitionKey: keyOf(spec.partitionKey),
        sortKey: keyOf(spec.sortKey),
        timeToLiveAttribute: spec.ttlAttribute,
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy,
        // A retained production table should also survive a stray console or API delete.
        deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      }),
    }));
    this.byName = new Map(this.all.map(({ spec, table }) => [spec.name, table]));
  }

  table(name: TableName): dynamodb.Table {
    const table = this.byName.get(name);
    if (!table) throw new Error(`no table spec named "${name}"`);
    return table;
  }

  /** `{ SWITCHYARD_STATE_TABLE: <physical name>, ... }`: how functions learn the table names. */
  environment(): Record<string, string> {
    return Object.fromEntries(this.all.map(({ spec, table }) => [spec.envVar, table.tableName]));
  }
}

/** `state` -> `StateTable`: construct id, CloudFormation logical id stem and output id stem. */
export function logicalName(spec: TableSpec): string {
  return `${spec.name.charAt(0).toUpperCase()}${spec.name.slice(1)}Table`;
}

/**
 * The `live` alias with a routing config, as CodeDeploy drives it: the current version, plus at most
 * one additional version with a weight. Lambda draws at random per invocation; here the split is
 * exact (a running credit), so a 10% canary gets every tenth request and short tests are not flaky.
 */
import type { InvokeTarget } from '../apigw-emulator';
import type { StreamingHandler } from '../lambda-streaming';

export interface AliasVersion {
  version: string;
  handler: StreamingHandler;
}

export class WeightedAlias {
  private additional: { target: AliasVersion; weight: number } | undefined;
  private credit = 0;
  private readonly counts = new Map<string, number>();

  constructor(private current: AliasVersion) {}

  /** What the emulator invokes for the next request. */
  select(): InvokeTarget {
    let target = this.current;
    if (this.additional) {
      this.credit += this.additional.weight;
      if (this.credit >= 1 - 1e-9) {
        this.credit -= 1;
        target = this.additional.target;
      }
    }
    this.counts.set(target.version, (this.counts.get(target.version) ?? 0) + 1);
    return { handler: target.handler, version: target.version };
  }

  /** Sends `weight` (0..1) of the traffic to `target`, the rest to the current version. */
  route(target: AliasVersion, weight: number): void {
    this.additional = { target, weight };
  }

  /** The deployment succeeded: the additional version becomes the alias's version. */
  promote(): void {
    if (this.additional) this.current = this.additional.target;
    this.additional = undefined;
    this.credit = 0;
  }

  /** The deployment failed: all traffic back on the current version. */
  rollback(): void {
    this.additional = undefined;
    this.credit = 0;
  }

  /** Percent per version, e.g. { '1': 90, '2': 10 }. */
  weights(): Record<string, number> {
    const extra = this.additional ? Math.round(this.additional.weight * 100) : 0;
    return {
      [this.current.version]: 100 - extra,
      ...(this.additional ? { [this.additional.target.version]: extra } : {}),
    };
  }

  /** Invocations per version through the alias so far. */
  invocations(version: string): number {
    return this.counts.get(version) ?? 0;
  }
}

/** The deployment in progress (or the last one) of the router's `live` alias, for the console. */
import type { CutoverView } from '../core/cutover/view';

export interface CutoverStatus {
  /** Undefined when there is no deployment to show. */
  read(): Promise<CutoverView | undefined>;
}

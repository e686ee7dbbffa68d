import type { Sleep } from './abort';
import type { FaultSpec } from './faults';

export interface SimulatedProvidersOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Multiplies model latencies: 1 = realistic, ~0.02 for --fast and tests. Fault delays are not scaled. */
  timeScale?: number;
  /**
   * How every wait is made (model latencies, fault delays, chunk gaps); default real timers. Tests
   * record or gate the waits instead of measuring the wall clock.
   */
  sleep?: Sleep;
}

export interface RequestRecord {
  provider: string;
  /** Upstream model from the body; '' for GET /models and bodies without one. */
  model: string;
  path: string;
  /** Epoch ms when the request arrived. */
  at: number;
  /** Status sent, 0 while no response has started (e.g. a hanging fault). */
  status: number;
  /** The Authorization header exactly as received, so tests can see which upstream key was used. */
  authorization?: string;
  stream: boolean;
  /** Parsed JSON body of a chat completion request. */
  body?: unknown;
}

export interface SimulatedProviders {
  url: string;
  port: number;
  /** `${url}/${provider}/v1` */
  baseUrlFor(provider: string): string;
  /** Returns the fault id; throws on an invalid spec. */
  setFault(f: FaultSpec): string;
  clearFaults(): void;
  /** Snapshot of every provider request received, newest last. */
  requests(): RequestRecord[];
  resetRequests(): void;
  /** Stops the server and destroys open sockets, hanging and streaming ones included. */
  close(): Promise<void>;
}

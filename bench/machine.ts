import os from 'node:os';
import { table } from './report';

/** The machine the numbers came from, and how busy it was when the run started. */
export function machineTable(): string {
  const cpus = os.cpus();
  return table(
    ['', ''],
    [
      ['date', new Date().toISOString()],
      ['cpus', `${cpus.length} x ${cpus[0]?.model?.trim() ?? 'unknown'}`],
      ['memory', `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`],
      ['os', `${os.type()} ${os.release()} ${os.arch()}`],
      ['node', process.version],
      [
        'load average at start (1/5/15 min)',
        os
          .loadavg()
          .map((v) => v.toFixed(2))
          .join(' / '),
      ],
    ],
    ['l', 'l'],
  );
}

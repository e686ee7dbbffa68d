import { readFileSync } from 'node:fs';

/** Ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU time (user + system) a process has used so far, in µs, read from /proc so the bench can
 * compare processes it did not write (the Portkey gateway) the same way as its own. 10 ms
 * resolution: read it around phases of seconds, not around single requests.
 */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / USER_HZ) * 1e6;
}

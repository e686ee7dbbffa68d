/**
 * Keeps `npm run soak` (bench/soak.ts) from rotting: the real script, run as a child for a few
 * seconds of faulty mixed traffic, must finish with the ledger agreeing with the usage rows
 * (drift 0), no reservation or lease left behind, and no contract violation. The long run itself
 * is never part of `npm test`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

interface SoakSummary {
  pass: boolean;
  failures: string[];
  requests: number;
  ok: number;
  driftMicros: number;
  openReservations: number;
  leaseSlotsHeld: number;
  scopes: Array<{ scope: string; ledgerSpentMicros: number; usageCostMicros: number }>;
}

describe('npm run soak (short)', () => {
  it('reports no budget drift, no open reservations or leases and no violations after a few seconds of faulty traffic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-soak-'));
    const jsonPath = join(dir, 'soak.json');
    try {
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bench/soak.ts'],
          {
            cwd: REPO,
            env: {
              ...process.env,
              SOAK_SECONDS: '6',
              SOAK_CONCURRENCY: '8',
              SOAK_FAULT_EVERY_MS: '1500',
              SOAK_SEED: '7',
              SOAK_OUT: '-',
              SOAK_JSON: jsonPath,
            },
            timeout: 55_000,
            maxBuffer: 8 * 1024 * 1024,
          },
          (err, stdout, stderr) =>
            resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      const summary = JSON.parse(readFileSync(jsonPath, 'utf8')) as SoakSummary;
      expect(summary.requests).toBeGreaterThan(10);
      expect(summary.ok).toBeGreaterThan(0);
      expect(summary.driftMicros).toBe(0);
      expect(summary.scopes.find((s) => s.scope === 'global')?.ledgerSpentMicros).toBeGreaterThan(0);
      expect(summary.openReservations).toBe(0);
      expect(summary.leaseSlotsHeld).toBe(0);
      expect(summary.failures).toEqual([]);
      expect(run.stdout).toContain('## Verdict');
      expect(run.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

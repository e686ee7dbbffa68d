/** Markdown output: tables and number formatting. */

export function table(header: string[], rows: Array<Array<string | number>>, align?: Array<'l' | 'r'>): string {
  const al = align ?? header.map((_, i) => (i === 0 ? 'l' : 'r'));
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (al[i] === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (al[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(cells[0]), sep, ...cells.slice(1).map(line)].join('\n');
}

/** Milliseconds with a precision that suits sub-millisecond loopback numbers. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (Math.abs(v) < 10) return v.toFixed(3);
  if (Math.abs(v) < 100) return v.toFixed(2);
  return v.toFixed(1);
}

export function signedMs(v: number): string {
  return `${v >= 0 ? '+' : '-'}${ms(Math.abs(v))}`;
}

export function ratio(a: number, b: number): string {
  return b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}x` : '-';
}

export function num(v: number, digits = 0): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

export function section(title: string, ...blocks: string[]): string {
  return [`## ${title}`, ...blocks].join('\n\n');
}

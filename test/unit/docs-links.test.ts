/**
 * The README promises that every document it links exists. Every relative link in the README, the
 * docs and the other markdown files of the repository must name a file that exists, and an anchor
 * must name a heading of that file (GitHub's slugs), so a moved or renamed page fails here.
 */
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SKIP = new Set(['node_modules', '.git', 'cdk.out', 'dist', 'coverage']);

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...markdownFiles(p));
    else if (name.endsWith('.md')) out.push(p);
  }
  return out;
}

/** Text outside fenced code blocks and inline code spans: links are only read there. */
function prose(text: string): string {
  return text
    .replace(/^```[\s\S]*?^```/gm, '')
    .split('\n')
    .map((l) => l.replace(/`[^`]*`/g, ''))
    .join('\n');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingSlugs(text: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of text.replace(/^```[\s\S]*?^```/gm, '').split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  return slugs;
}

function brokenLinks(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const broken: string[] = [];
  for (const m of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1];
    if (/^(https?:|mailto:)/.test(target)) continue;
    const [path, anchor] = target.split('#');
    const resolved = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
    const where = `${relative(ROOT, file)} -> ${target}`;
    if (!existsSync(resolved)) {
      broken.push(`${where} (no such file)`);
      continue;
    }
    if (anchor && resolved.endsWith('.md') && !headingSlugs(readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push(`${where} (no such heading)`);
    }
  }
  return broken;
}

describe('documentation links', () => {
  const files = markdownFiles(ROOT);

  it('finds the README and the docs', () => {
    const names = files.map((f) => relative(ROOT, f));
    expect(names).toContain('README.md');
    expect(names.filter((n) => n.startsWith('docs/')).length).toBeGreaterThan(10);
  });

  it('every relative link names an existing file and heading', () => {
    expect(files.flatMap(brokenLinks)).toEqual([]);
  });

  it('reads anchors as GitHub does', () => {
    expect([...headingSlugs('# When DynamoDB fails\n## A/B experiments, inside a route\n## Why\n## Why')]).toEqual([
      'when-dynamodb-fails',
      'ab-experiments-inside-a-route',
      'why',
      'why-1',
    ]);
  });

  it('catches a link to a missing page', () => {
    const tmp = join(ROOT, 'docs', `.links-probe-${process.pid}.md`);
    writeFileSync(tmp, '[gone](nowhere.md) [bad anchor](README.md#no-such-heading)\n');
    try {
      expect(brokenLinks(tmp)).toHaveLength(2);
    } finally {
      unlinkSync(tmp);
    }
  });
});

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/paths.js';

/**
 * Every relative link in the user documentation (docs/*.md), the root README and the changelog
 * leads to a file or folder of the checkout. Links in code spans and fenced blocks are not links.
 */
const pages = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The link targets of a Markdown text: inline `[text](target "title")` and `[label]: target`. */
export function linkTargets(markdown: string): string[] {
  const prose = markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
  const inline = [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)];
  const references = [...prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)];
  return [...inline, ...references].map((match) => match[1]!);
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe('documentation links', () => {
  it('reads inline and reference links, not code', () => {
    expect(
      linkTargets(
        '[a](docs/a.md) ![i](img.png "t") `[no](code.md)`\n```\n[no](block.md)\n```\n[r]: ../b.md\n',
      ),
    ).toEqual(['docs/a.md', 'img.png', '../b.md']);
  });

  it('docs/ has an index and one page per user', () => {
    for (const page of ['README.md', 'grafana-user.md', 'on-call.md', 'platform.md'])
      expect(existsSync(join(repoRoot, 'docs', page)), `docs/${page}`).toBe(true);
  });

  it.each(pages)('every relative link in %s resolves to a file of the checkout', (page) => {
    const file = join(repoRoot, page);
    const broken = linkTargets(readFileSync(file, 'utf8'))
      .filter((target) => !isExternal(target) && !target.startsWith('#'))
      .filter((target) => {
        const path = decodeURIComponent(target.replace(/[?#].*$/, ''));
        const resolved = path.startsWith('/') ? join(repoRoot, path) : join(dirname(file), path);
        return !existsSync(resolved) || relative(repoRoot, resolved).startsWith('..');
      });
    expect(broken, `${page}: links to nothing in the checkout`).toEqual([]);
  });

  it('README.md links every page of docs/', () => {
    const targets = new Set(linkTargets(readFileSync(join(repoRoot, 'README.md'), 'utf8')));
    const unlinked = pages
      .filter((page) => page.startsWith('docs/'))
      .filter((page) => !targets.has(page));
    expect(unlinked, 'docs pages README.md does not link').toEqual([]);
  });
});

// The figures explained where they stand: every glossary entry links to a section that docs/METHODS.md has, and the
// methods page the build makes from it carries that section's anchor.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GLOSSARY, headingSlug, methodsLink, type GlossaryTerm } from '../../src/lib/glossary';
import { methodsPage } from '../../scripts/methods-page';

const ROOT = join(import.meta.dirname, '../..');

describe('glossary', () => {
  it("makes GitHub's heading anchors", () => {
    expect(headingSlug('Retrieval net: heads and training')).toBe('retrieval-net-heads-and-training');
    expect(headingSlug('Hubs, and images placed by prediction competing fairly')).toBe(
      'hubs-and-images-placed-by-prediction-competing-fairly',
    );
    expect(headingSlug('The 2017 retrieval score')).toBe('the-2017-retrieval-score');
  });

  it('links every term to a section of the methods page, with one plain sentence', () => {
    const markdown = readFileSync(join(ROOT, 'docs/METHODS.md'), 'utf8');
    const headings = new Set([...markdown.matchAll(/^#{1,4} (.+)$/gm)].map((m) => m[1].trim()));
    const page = methodsPage(markdown);
    for (const term of Object.keys(GLOSSARY) as GlossaryTerm[]) {
      const { line, section } = GLOSSARY[term];
      expect(headings, `${term}: "${section}" is not a heading of docs/METHODS.md`).toContain(section);
      const anchor = methodsLink(term).split('#')[1];
      expect(page).toContain(`id="${anchor}"`);
      expect(line.length).toBeGreaterThan(30);
      expect(line.length).toBeLessThan(240);
      expect(line).toMatch(/[.)]$/);
    }
  });

  it('renders Markdown: tables, code and links stay', () => {
    const html = methodsPage('## A: b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\nSee `code` and [there](BENCHMARKS.md#z).\n');
    expect(html).toContain('<h2 id="a-b">A: b</h2>');
    expect(html).toContain('<table>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('href="BENCHMARKS.md#z"');
  });
});

// docs/METHODS.md as a page of the app (methods.html, made by the build and served by the dev server; see
// vite.config.ts), so the explanations of the figures (src/lib/glossary.ts) link to a section that opens offline,
// from the service worker's cache like the rest of the app. Markdown by `marked` (a well-kept CommonMark parser);
// headings get GitHub's anchors, so the same links work on the repository's page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Marked } from 'marked';
import { headingSlug } from '../src/lib/glossary.ts';

const STYLE = `body{font:16px/1.55 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem 4rem;color:#102a43}
h1,h2,h3{line-height:1.25;margin-top:2rem}h2{border-bottom:1px solid #e3e6ea;padding-bottom:.2rem}
:target{background:#fef9c3}table{border-collapse:collapse;font-size:.85rem;display:block;overflow-x:auto}
th,td{border:1px solid #e3e6ea;padding:.2rem .45rem}code{background:#f1f5f9;padding:0 .2rem;border-radius:3px}
pre{background:#f1f5f9;padding:.6rem;overflow-x:auto}a{color:#1d4ed8}`;

/** The page for a Markdown text: headings with anchors, links to other docs left as they are. */
export function methodsPage(markdown: string): string {
  const marked = new Marked({
    renderer: {
      heading({ tokens, depth, text }) {
        return `<h${depth} id="${headingSlug(text)}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
    },
  });
  const body = marked.parse(markdown, { async: false });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>simage: how each figure is measured</title><style>${STYLE}</style></head>
<body><p><a href="./">← back to simage</a></p>
${body}</body></html>
`;
}

export function methodsPageFrom(root: string): string {
  return methodsPage(readFileSync(join(root, 'docs/METHODS.md'), 'utf8'));
}

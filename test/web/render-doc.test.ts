import { describe, expect, it } from 'vitest';
import { helpHref, renderDoc } from '../../src/web/help/render-doc.ts';

describe('the help pages’ Markdown', () => {
  it('shows raw HTML in a doc as text, never as markup', () => {
    const out = renderDoc(
      'Hi <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n',
      'operations',
    ).toString();
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;');
  });

  it('keeps a Mermaid block as its escaped source for the browser to draw', () => {
    const out = renderDoc(
      '```mermaid\nsequenceDiagram\n  A->>B: x < y & "z"\n```\n',
      'flows/oauth',
    ).toString();
    expect(out).toBe(
      '<pre class="mermaid" data-testid="mermaid-diagram">sequenceDiagram\n  A-&gt;&gt;B: x &lt; y &amp; &quot;z&quot;</pre>\n',
    );
  });

  it('gives headings GitHub’s anchors, repeats numbered', () => {
    const out = renderDoc(
      '## The `sub` claim: why?\n\n## The `sub` claim: why?\n',
      'flows/ci-federation',
    ).toString();
    expect(out).toContain('<h2 id="the-sub-claim-why">');
    expect(out).toContain('<h2 id="the-sub-claim-why-1">');
  });

  it('renders tables', () => {
    expect(renderDoc('| a | b |\n| - | - |\n| 1 | 2 |\n', 'security').toString()).toContain('<td>1</td>');
  });

  it('turns links to other docs into help pages leaves web links alone, and drops other schemes', () => {
    expect(helpHref('oauth.md#device-flow', 'flows/personal-access-tokens')).toBe(
      '/help/flows/oauth#device-flow',
    );
    expect(helpHref('../operations.md', 'flows/key-rotation')).toBe('/help/operations');
    expect(helpHref('flows/README.md', 'security')).toBe('/help/flows/README');
    expect(helpHref('../../README.md', 'flows/oauth')).toBe('../../README.md');
    expect(helpHref('https://docs.gitlab.com/x.md', 'flows/oauth')).toBe('https://docs.gitlab.com/x.md');
    expect(helpHref('#top', 'flows/oauth')).toBe('#top');
    expect(helpHref('JavaScript:alert(1)', 'flows/oauth')).toBe('#');
  });
});

// Draws the help page's Mermaid diagrams (each a <pre class="mermaid"> holding its source) as SVG.
// Loaded as a file after Mermaid's bundle (the Content-Security-Policy allows no inline script).
'use strict';

/* global mermaid */
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral' });
void mermaid.run({ querySelector: 'pre.mermaid' });

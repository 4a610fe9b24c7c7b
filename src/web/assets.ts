import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { OAUTH_STYLESHEET_PATH } from '../http/routes/oauth-pages.ts';
import { FAVICON_PATH, SCRIPT_PATH, STYLESHEET_PATH } from './layout.ts';

/** The CI/CD settings page's live `sub` preview. */
export const SUB_PREVIEW_SCRIPT = '/assets/sub-preview.js';
/** The AI playground: fetches a user AI token, then calls the AI gateway from the browser. */
export const AI_PLAYGROUND_SCRIPT = '/assets/ai-playground.js';

/** The help pages' diagram drawing: Mermaid's own browser bundle, then the few lines that start it. */
export const MERMAID_SCRIPT = '/assets/mermaid.min.js';
export const HELP_SCRIPT = '/assets/help.js';

/** The web UI's only static files, read once at start: no bundler, no build step. */
const ASSETS: ReadonlyArray<{ path: string; file: string | URL; type: string }> = [
  { path: STYLESHEET_PATH, file: 'tessera.css', type: 'text/css; charset=utf-8' },
  { path: OAUTH_STYLESHEET_PATH, file: 'oauth.css', type: 'text/css; charset=utf-8' },
  { path: FAVICON_PATH, file: 'favicon.svg', type: 'image/svg+xml' },
  { path: '/favicon.ico', file: 'favicon.svg', type: 'image/svg+xml' },
  { path: SCRIPT_PATH, file: 'tessera.js', type: 'text/javascript; charset=utf-8' },
  { path: SUB_PREVIEW_SCRIPT, file: 'sub-preview.js', type: 'text/javascript; charset=utf-8' },
  { path: AI_PLAYGROUND_SCRIPT, file: 'ai-playground.js', type: 'text/javascript; charset=utf-8' },
  { path: HELP_SCRIPT, file: 'help.js', type: 'text/javascript; charset=utf-8' },
  {
    path: MERMAID_SCRIPT,
    // Served from our origin (the CSP allows no other), as the package ships it.
    file: new URL(import.meta.resolve('mermaid/dist/mermaid.min.js')),
    type: 'text/javascript; charset=utf-8',
  },
];

/** Serves the stylesheet and the script, cacheable for a few minutes (they hold nothing personal). */
export function assetRoutes(app: FastifyInstance): void {
  for (const asset of ASSETS) {
    const file =
      typeof asset.file === 'string' ? new URL(`./assets/${asset.file}`, import.meta.url) : asset.file;
    const body = readFileSync(file, 'utf8');
    app.get(asset.path, async (_request, reply) =>
      reply.type(asset.type).header('cache-control', 'public, max-age=300').send(body),
    );
  }
}

import type { FastifyInstance } from 'fastify';
import type { InstanceContext } from '../runtime/instance-context.ts';

/**
 * Where a page sits in the navigation. `work` and `user` pages are for every signed-in person, `admin`
 * pages only for administrators. Project pages (deploy tokens, CI/CD settings, pipelines) have no entry
 * of their own: they are reached from Projects and show the project's tabs.
 */
export type NavSection = 'work' | 'user' | 'admin';

export interface NavEntry {
  section: NavSection;
  label: string;
  path: string;
}

/** What every page module receives. */
export interface WebDeps {
  context: InstanceContext;
  /** The navigation of every page, built from the registered modules. */
  nav: readonly NavEntry[];
}

/**
 * One page of the web UI: its routes and, when it has one, its place in the navigation. A new page is
 * a new module added to the list in `web-routes.ts`; nothing else changes.
 */
export interface WebPage {
  nav?: NavEntry;
  routes(app: FastifyInstance, deps: WebDeps): void;
}

import type { Executor } from '../store/database.ts';
import { findProjectByFullPath } from '../store/projects.repository.ts';
import type { Project } from '../store/schema.ts';

/** How many path components an image name may add below its project's path (`group/app/web/cache`). */
const MAX_IMAGE_DEPTH = 3;

/**
 * The project a repository name belongs to: the project whose path is the name itself or the name
 * with up to three trailing image components removed, the longest match first.
 *
 * @example
 * await projectOfRepository(db, 'platform/api/worker') // the project `platform/api`, if no `platform/api/worker` project exists
 */
export async function projectOfRepository(db: Executor, name: string): Promise<Project | undefined> {
  const parts = name.split('/');
  for (let drop = 0; drop <= MAX_IMAGE_DEPTH && parts.length - drop >= 2; drop++) {
    const project = await findProjectByFullPath(db, parts.slice(0, parts.length - drop).join('/'));
    if (project) return project;
  }
  return undefined;
}

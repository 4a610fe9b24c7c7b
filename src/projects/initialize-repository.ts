import type { RepositoryStore } from '../git/repository-store.ts';
import type { Project, User } from '../store/schema.ts';

/**
 * `initialize_with_readme`: the new project's repository gets a first commit on its default branch, a
 * README.md naming the project, by the person who made it (as the platform does).
 */
export async function initializeWithReadme(
  repositories: RepositoryStore,
  project: Project,
  author: Pick<User, 'name' | 'email'>,
): Promise<void> {
  await repositories.commitFirstFile(
    project.id,
    project.default_branch,
    { name: 'README.md', content: `# ${project.name}\n`, message: 'Initial commit' },
    { name: author.name, email: author.email },
  );
}

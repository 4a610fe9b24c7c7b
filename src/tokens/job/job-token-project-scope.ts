import { namespaceWithAncestors } from '../../store/namespaces.repository.ts';
import type { ProjectScope } from '../../identity/principal.ts';
import type { Job } from '../../store/ci-schema.ts';
import { ciSettingsOf } from '../../store/ci-settings.repository.ts';
import type { Executor } from '../../store/database.ts';
import { allowlistAdmits, recordJobTokenAuthorization } from '../../store/job-token-scope.repository.ts';
import { findProjectById } from '../../store/projects.repository.ts';
import type { Clock } from '../../util/clock.ts';

/**
 * The projects a job token reaches: its own project, and a project whose inbound allowlist admits the
 * job's project or one of its groups (or whose allowlist is turned off). Every admitted authentication
 * to another project is logged for that project's maintainers. The user's own permissions are checked
 * on top of this by whoever serves the project.
 */
export class JobTokenProjectScope implements ProjectScope {
  readonly #decided = new Map<number, Promise<boolean>>();

  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly job: Pick<Job, 'project_id'>,
  ) {}

  /** The project the job belongs to. */
  get originProjectId(): number {
    return this.job.project_id;
  }

  /** A job writes only to its own project; an allowlist lets other projects' jobs read, never write. */
  writable(projectId: number): boolean {
    return projectId === this.job.project_id;
  }

  allows(projectId: number): Promise<boolean> {
    let decision = this.#decided.get(projectId);
    if (!decision) {
      decision = this.#decide(projectId);
      this.#decided.set(projectId, decision);
    }
    return decision;
  }

  async #decide(projectId: number): Promise<boolean> {
    if (projectId === this.job.project_id) return true;
    const settings = await ciSettingsOf(this.db, projectId);
    let admitted = settings.job_token_inbound_enabled === 0;
    if (!admitted) {
      const origin = await findProjectById(this.db, this.job.project_id);
      if (!origin) return false;
      const groups = await namespaceWithAncestors(this.db, origin.namespace_id);
      admitted = await allowlistAdmits(
        this.db,
        projectId,
        origin.id,
        groups.filter((n) => n.kind === 'group').map((n) => n.id),
      );
    }
    if (admitted) {
      await recordJobTokenAuthorization(
        this.db,
        projectId,
        this.job.project_id,
        this.clock.now().toISOString(),
      );
    }
    return admitted;
  }
}

import type { BranchView } from '../../git/repository-branches.service.ts';
import type { Project } from '../../store/schema.ts';

/** GitLab's branch shape (`GET /projects/:id/repository/branches`), with its commit. */
export function presentBranch(branch: BranchView, project: Project, externalUrl: string) {
  const { head } = branch;
  const projectUrl = `${externalUrl}/${project.full_path}`;
  return {
    name: head.name,
    commit: {
      id: head.commit.sha,
      short_id: head.commit.sha.slice(0, 8),
      created_at: head.commit.committedDate,
      parent_ids: head.commit.parentShas,
      title: head.commit.title,
      message: head.commit.message,
      author_name: head.commit.authorName,
      author_email: head.commit.authorEmail,
      authored_date: head.commit.authoredDate,
      committer_name: head.commit.committerName,
      committer_email: head.commit.committerEmail,
      committed_date: head.commit.committedDate,
      trailers: {},
      extended_trailers: {},
      web_url: `${projectUrl}/-/commit/${head.commit.sha}`,
    },
    merged: branch.merged,
    protected: branch.protected,
    developers_can_push: branch.developersCanPush,
    developers_can_merge: branch.developersCanMerge,
    can_push: branch.canPush,
    default: branch.default,
    web_url: `${projectUrl}/-/tree/${head.name}`,
  };
}

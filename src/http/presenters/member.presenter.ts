import type { MemberView } from '../../identity/member-listing.ts';
import { presentUserBasic } from './user.presenter.ts';

/** GitLab's member entity: the user, and the level the membership gives them. */
export function presentMember(member: MemberView, externalUrl: string) {
  // Object.assign, not a spread: see user.presenter.ts.
  return Object.assign(presentUserBasic(member.user, externalUrl), {
    access_level: member.accessLevel,
    created_at: member.createdAt,
    expires_at: member.expiresAt,
    membership_state: 'active',
  });
}

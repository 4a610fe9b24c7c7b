import type { User } from '../../store/schema.ts';

/*
 * GitLab's user entities: `UserBasic` for anyone, `User` (public profile) for a single user,
 * `UserPublic` with email and admin flags for the user themself and for administrators.
 *
 * Each entity is one object literal, written out whole, not the smaller one extended: V8 turns an
 * object grown by `Object.assign` or a spread followed by this many properties into a dictionary,
 * which cost `GET /api/v4/user` about 5 µs to build and 10 µs more to serialize (a literal: 0.2 µs
 * and 4 µs). `test/http/user-presenter.test.ts` keeps each entity a superset of the smaller one.
 */

export function presentUserBasic(user: User, externalUrl: string) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: user.state,
    locked: false,
    avatar_url: null,
    web_url: `${externalUrl}/${user.username}`,
  };
}

export function presentUser(user: User, externalUrl: string) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: user.state,
    locked: false,
    avatar_url: null,
    web_url: `${externalUrl}/${user.username}`,
    created_at: user.created_at,
    bio: '',
    location: '',
    public_email: null,
    skype: '',
    linkedin: '',
    twitter: '',
    discord: '',
    website_url: '',
    organization: '',
    job_title: '',
    pronouns: null,
    bot: user.bot_kind !== null,
    work_information: null,
    followers: 0,
    following: 0,
    local_time: null,
  };
}

/** What the user sees of themself, and an administrator of anyone. */
export function presentUserPrivate(user: User, externalUrl: string) {
  const person = user.bot_kind === null;
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: user.state,
    locked: false,
    avatar_url: null,
    web_url: `${externalUrl}/${user.username}`,
    created_at: user.created_at,
    bio: '',
    location: '',
    public_email: null,
    skype: '',
    linkedin: '',
    twitter: '',
    discord: '',
    website_url: '',
    organization: '',
    job_title: '',
    pronouns: null,
    bot: !person,
    work_information: null,
    followers: 0,
    following: 0,
    local_time: null,
    last_sign_in_at: null,
    confirmed_at: user.created_at,
    last_activity_on: null,
    email: user.email,
    commit_email: user.email,
    theme_id: 1,
    color_scheme_id: 1,
    projects_limit: person ? 100000 : 0,
    current_sign_in_at: null,
    identities: [],
    can_create_group: person && user.state === 'active',
    can_create_project: person && user.state === 'active',
    two_factor_enabled: false,
    external: false,
    private_profile: false,
    is_admin: user.is_admin === 1,
    note: null,
  };
}

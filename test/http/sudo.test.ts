import { describe, expect, it } from 'vitest';
import { sudoPrincipal } from '../../src/http/sudo.ts';
import type { CredentialKind, Principal } from '../../src/identity/principal.ts';
import type { Executor } from '../../src/store/database.ts';
import type { User } from '../../src/store/schema.ts';

const admin = { id: 1, username: 'root', is_admin: 1, state: 'active', bot_kind: null } as User;
/** Refusals are decided before any lookup, so no store is needed. */
const noStore = null as unknown as Executor;

function principal(kind: CredentialKind, scopes: string[] | null, extra: Partial<Principal> = {}): Principal {
  return { user: admin, credential: { kind, id: 7, scopes }, ...extra };
}

describe('sudo refusals', () => {
  it('needs a credential at all', async () => {
    await expect(sudoPrincipal(noStore, null, 'alice')).rejects.toMatchObject({ status: 401 });
  });

  it.each<[CredentialKind, string[] | null]>([
    ['session', null],
    ['ci_job_token', ['api']],
    ['deploy_token', ['read_registry']],
  ])('refuses an administrator signed in through a %s', async (kind, scopes) => {
    await expect(sudoPrincipal(noStore, principal(kind, scopes), 'alice')).rejects.toMatchObject({
      status: 403,
      message: '403 Forbidden - Must be authenticated using an OAuth or Personal Access Token to use sudo',
    });
  });

  it('refuses a composite identity and a request already acting through sudo', async () => {
    for (const extra of [{ scopedUser: admin }, { sudoer: admin }]) {
      await expect(
        sudoPrincipal(noStore, principal('oauth_access_token', ['api', 'sudo'], extra), 'alice'),
      ).rejects.toMatchObject({ status: 403, message: '403 Forbidden - Must be admin to use sudo' });
    }
  });

  it('asks an OAuth token for the sudo scope', async () => {
    await expect(
      sudoPrincipal(noStore, principal('oauth_access_token', ['api']), 'alice'),
    ).rejects.toMatchObject({
      code: 'insufficient_scope',
      details: { scope: 'sudo' },
    });
  });
});

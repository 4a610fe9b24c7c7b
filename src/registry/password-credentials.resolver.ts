import { verifyPassword } from '../identity/password.ts';
import type { Executor } from '../store/database.ts';
import { findUserByLogin } from '../store/users.repository.ts';
import type { BasicCredentialResolver, BasicIdentity } from '../tokens/basic-credentials.ts';

/**
 * A user's own password over HTTP basic, for the registry when the instance allows it
 * (`TESSERA_REGISTRY_PASSWORD_AUTH`). It claims every pair no token resolver claimed, so it goes last.
 * Bots and blocked users have no password sign-in; the check spends one scrypt whether or not the
 * account exists, so timing does not tell.
 */
export class PasswordCredentialsResolver implements BasicCredentialResolver {
  constructor(private readonly db: Executor) {}

  claims(): boolean {
    return true;
  }

  async resolve(username: string, password: string): Promise<BasicIdentity | null> {
    const user = await findUserByLogin(this.db, username);
    const matches = await verifyPassword(password, user?.password_digest);
    if (!user || !matches || user.state !== 'active' || user.bot_kind !== null) return null;
    return { type: 'user', principal: { user, credential: { kind: 'password', id: user.id, scopes: null } } };
  }
}

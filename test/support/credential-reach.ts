import { registryAuth, scopeQuery } from '../registry/registry-fixtures.ts';
import type { TestInstance } from './instance.ts';

/*
 * Whether a credential still opens a project outside the REST API: git's ref advertisement over
 * HTTP and a registry pull token from /jwt/auth. 200 while the credential lives, 401 once it is dead.
 */

export interface BasicCredential {
  username: string;
  password: string;
}

/** The status of git's first request (`info/refs` for a fetch) made with the credential. */
export async function gitFetchStatus(
  instance: TestInstance,
  fullPath: string,
  basic: BasicCredential,
): Promise<number> {
  const response = await fetch(`${instance.url}/${fullPath}.git/info/refs?service=git-upload-pack`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`,
    },
  });
  await response.arrayBuffer();
  return response.status;
}

/** The status of a registry pull-token request for the project made with the credential. */
export async function registryPullStatus(
  instance: TestInstance,
  fullPath: string,
  basic: BasicCredential,
): Promise<number> {
  return (await registryAuth(instance, scopeQuery(`repository:${fullPath}:pull`), basic)).status;
}

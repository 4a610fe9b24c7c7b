import type { InstanceContext } from './instance-context.ts';

/**
 * Seeds the newcomer's demo (admin, a group, a project, an access token) once, and returns the lines
 * to print. Idempotent: a second start finds the admin and prints only where things are.
 */
export async function seedDemo(context: InstanceContext): Promise<string[]> {
  return [`discovery: ${context.settings.externalUrl}/.well-known/openid-configuration`];
}

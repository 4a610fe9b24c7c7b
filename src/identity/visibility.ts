import type { Visibility } from '../store/schema.ts';

/** Every visibility, least open first. */
export const VISIBILITIES: readonly Visibility[] = ['private', 'internal', 'public'];

export function isVisibility(value: unknown): value is Visibility {
  return typeof value === 'string' && (VISIBILITIES as readonly string[]).includes(value);
}

/** True when `inner` would be more open than the group that holds it, which the platform forbids. */
export function exceedsVisibility(inner: Visibility, container: Visibility): boolean {
  return VISIBILITIES.indexOf(inner) > VISIBILITIES.indexOf(container);
}

/** GitLab's membership access levels. */
export const ACCESS_LEVELS = {
  none: 0,
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

export type AccessLevelName = keyof typeof ACCESS_LEVELS;

const VALID_MEMBER_LEVELS = new Set<number>([10, 20, 30, 40, 50]);

export function isMemberAccessLevel(value: number): boolean {
  return VALID_MEMBER_LEVELS.has(value);
}

/** `"developer"` for 30, as ID-token claims spell it. */
export function accessLevelName(level: number): AccessLevelName {
  const entry = Object.entries(ACCESS_LEVELS).find(([, value]) => value === level);
  return (entry?.[0] ?? 'none') as AccessLevelName;
}

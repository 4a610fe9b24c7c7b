const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
};

/**
 * Seconds in a human duration as `.gitlab-ci.yml` writes it: `3600`, `90s`, `10 minutes`,
 * `1h 30m`, `2 hours`. Undefined when it is not one.
 *
 * @example
 * parseDuration('1h 30m'); // 5400
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const text = value.trim().toLowerCase();
  if (/^\d+$/.test(text)) return Number(text) > 0 ? Number(text) : undefined;
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*(?:and\s*)?/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    const unit = UNIT_SECONDS[match[2]!];
    if (unit === undefined) return undefined;
    total += Number(match[1]) * unit;
    consumed = part.lastIndex;
  }
  if (consumed !== text.length || total <= 0) return undefined;
  return Math.round(total);
}

/** SQLSTATE classes and socket errors that mean "the database is not there", not "the query is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  // Class 08: connection exception.
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  // Class 57P: operator intervention (admin shutdown, crash shutdown, cannot connect now).
  '57P01',
  '57P02',
  '57P03',
]);

const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection (?:ended|closed)|Client has encountered a connection error|timeout exceeded when trying to connect|the database system is (?:starting up|shutting down)/i;

/**
 * True when a driver error says the store cannot be reached (PostgreSQL stopped, restarting, network
 * gone) rather than that a query failed: the request may succeed later, so it is a 503, not a 500.
 *
 * @example
 * if (isStoreUnavailable(error)) throw new TesseraError('unavailable', '503 Service Unavailable');
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (UNAVAILABLE_MESSAGES.test(cause.message)) return true;
    // AggregateError (a connection refused on both ::1 and 127.0.0.1) carries its causes in `errors`.
    const nested = (cause as { errors?: unknown[] }).errors?.[0];
    cause = nested ?? cause.cause;
  }
  return false;
}

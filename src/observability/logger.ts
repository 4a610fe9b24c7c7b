import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Fields that can carry a secret anywhere in a log object. Headers are never logged by the request
 * serializer below; this list is the second line of defence for objects logged by hand.
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  'secret',
  'private_token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'job_token',
  'authorization',
  'cookie',
  '*.password',
  '*.token',
  '*.secret',
  '*.private_token',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers["private-token"]',
  'req.headers["job-token"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** Query parameters that carry credentials on the platform's API. */
const SECRET_QUERY_PARAMETERS = [
  'private_token',
  'access_token',
  'job_token',
  'token',
  'code',
  'client_secret',
];

/**
 * Anything shaped like one of our opaque tokens (optionally behind the instance prefix), or a JWT, is
 * replaced wherever it appears in a message: a last guard against a secret quoted by mistake.
 */
const TOKEN_PATTERN =
  /\b(?:[a-z0-9]{1,20}-)?(?:gl(?:pat|oas|oat|ort|dt|rt|cbt|ptt|ft|imt|agent|soat|ffct)|tslk|tslaa)-[A-Za-z0-9_-]{8,}|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

export function scrubSecrets(text: string): string {
  return text.replace(TOKEN_PATTERN, '[REDACTED]');
}

/** A URL as it may be logged: credential-carrying query parameters are blanked. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return scrubSecrets(url);
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of SECRET_QUERY_PARAMETERS) {
    if (params.has(name)) params.set(name, '[REDACTED]');
  }
  return scrubSecrets(`${url.slice(0, queryStart)}?${params.toString()}`);
}

export function createLogger(options: {
  level: string;
  name?: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'tessera',
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: {
        req: (req: { method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
          method: req.method,
          url: redactUrl(req.url),
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: (err: Error) => ({
          type: err.name,
          message: scrubSecrets(err.message),
          stack: err.stack && scrubSecrets(err.stack),
        }),
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}

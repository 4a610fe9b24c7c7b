import { ERROR_CODES, type ErrorCode } from './codes.ts';

/**
 * The one error class of the domain. The message is safe to show to a client: it never holds a
 * secret, a token or a stack.
 */
export class TesseraError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      field?: string;
      scope?: string;
      permission?: string;
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
    this.name = 'TesseraError';
    this.status = ERROR_CODES[code];
  }
}

export const unauthorized = (): TesseraError => new TesseraError('unauthorized', '401 Unauthorized');

export const notFound = (what: string): TesseraError =>
  new TesseraError('not_found', `404 ${what} Not Found`);

export const forbidden = (message = '403 Forbidden'): TesseraError => new TesseraError('forbidden', message);

export const badRequest = (field: string, problem: string): TesseraError =>
  new TesseraError('bad_request', `${field} ${problem}`, { field });

/** A fine-grained token lacks `permission` on every boundary it holds that contains the target. */
export const insufficientGranularScope = (permission: string): TesseraError =>
  new TesseraError(
    'insufficient_granular_scope',
    `The token does not hold the ${permission} permission on a boundary containing this resource.`,
    { permission },
  );

export const insufficientScope = (scope: string): TesseraError =>
  new TesseraError(
    'insufficient_scope',
    'The request requires higher privileges than provided by the access token.',
    {
      scope,
    },
  );

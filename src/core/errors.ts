/**
 * The one error catalog. Every error Sluice reports to a user carries a stable
 * code from this table, an HTTP status for the API, and, where the error is
 * about user input, the place it points at (file, line, column, field path).
 */
export const ERROR_CATALOG = {
  SLUICE_ERR_CONFIG_INVALID: { status: 400, summary: 'invalid configuration' },
  SLUICE_ERR_STACK_YAML: { status: 400, summary: 'stack file is not valid YAML' },
  SLUICE_ERR_STACK_INVALID: { status: 400, summary: 'stack file does not match the stack schema' },
  SLUICE_ERR_STACK_REFERENCE: { status: 400, summary: 'stack file refers to something that does not exist' },
  SLUICE_ERR_STACK_NOT_FOUND: { status: 404, summary: 'no such stack is deployed' },
  SLUICE_ERR_RULE_SQL_SYNTAX: { status: 400, summary: 'rule SQL does not parse' },
  SLUICE_ERR_RULE_SQL_INVALID: { status: 400, summary: 'rule SQL parses but cannot be deployed' },
  SLUICE_ERR_TEMPLATE_SYNTAX: { status: 400, summary: 'substitution template does not parse' },
  SLUICE_ERR_PAYLOAD_NOT_JSON: { status: 400, summary: 'payload is not JSON' },
  SLUICE_ERR_EVAL: { status: 400, summary: 'rule evaluation failed' },
  SLUICE_ERR_BUCKET_NOT_FOUND: { status: 404, summary: 'no such bucket' },
  SLUICE_ERR_BUCKET_NOT_EMPTY: { status: 409, summary: 'bucket is not empty' },
  SLUICE_ERR_OBJECT_NOT_FOUND: { status: 404, summary: 'no such object' },
  SLUICE_ERR_OBJECT_KEY_INVALID: { status: 400, summary: 'object key is not allowed' },
  SLUICE_ERR_STORAGE_UNAVAILABLE: { status: 503, summary: 'the object store could not be reached or refused the request' },
  SLUICE_ERR_FUNCTION_NOT_FOUND: { status: 404, summary: 'no such function' },
  SLUICE_ERR_FUNCTION_BUNDLE: { status: 400, summary: 'function source could not be bundled' },
  SLUICE_ERR_FUNCTION_TIMEOUT: { status: 500, summary: 'function timed out' },
  SLUICE_ERR_FUNCTION_FAILED: { status: 500, summary: 'function invocation failed' },
  SLUICE_ERR_TOPIC_NOT_FOUND: { status: 404, summary: 'no such notification topic' },
  SLUICE_ERR_SUBSCRIPTION_INVALID: { status: 400, summary: 'subscription is not valid' },
  SLUICE_ERR_TOKEN_INVALID: { status: 404, summary: 'link is unknown, used or expired' },
  SLUICE_ERR_MAIL_SEND: { status: 502, summary: 'mail could not be sent' },
  SLUICE_ERR_NOT_FOUND: { status: 404, summary: 'not found' },
  SLUICE_ERR_ALREADY_EXISTS: { status: 409, summary: 'resource already exists' },
  SLUICE_ERR_IN_USE: { status: 409, summary: 'resource is attached or in use' },
  SLUICE_ERR_LIMIT_EXCEEDED: { status: 409, summary: 'a registry limit is reached' },
  SLUICE_ERR_CERTIFICATE_INVALID: { status: 400, summary: 'certificate or signing request is not valid' },
  SLUICE_ERR_CERTIFICATE_STATE: { status: 409, summary: 'not allowed in the certificate status' },
  SLUICE_ERR_REQUEST_INVALID: { status: 400, summary: 'request body is not valid' },
  SLUICE_ERR_UNAUTHORIZED: { status: 401, summary: 'missing, unknown, revoked or expired API token' },
  SLUICE_ERR_FORBIDDEN: { status: 403, summary: 'the token\'s scope does not allow this request' },
  SLUICE_ERR_RATE_LIMITED: { status: 429, summary: 'too many failed authentications' },
  SLUICE_ERR_CONFLICT: { status: 409, summary: 'the request conflicts with what exists' },
  SLUICE_ERR_SERVER_UNREACHABLE: { status: 503, summary: 'cannot reach the Sluice server' },
  SLUICE_ERR_INTERNAL: { status: 500, summary: 'internal error' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Where in the user's input an error is: any subset of these is meaningful. */
export interface ErrorPlace {
  file?: string;
  line?: number;
  column?: number;
  /** Field path inside a document, e.g. `rules[1].sql`. */
  field?: string;
}

export interface SluiceErrorOptions {
  place?: ErrorPlace;
  cause?: unknown;
  /** Machine-readable extras for API clients (never secrets). */
  details?: Record<string, unknown>;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly place: ErrorPlace | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.place = options.place;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }

  /** One line a person can act on: `file:line:column: field: message`. */
  override toString(): string {
    const where = formatPlace(this.place);
    // A message that already starts with its place (an API error relayed by the CLI) is not prefixed twice.
    return where && !this.message.startsWith(`${where}: `) ? `${where}: ${this.message}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.place ? { place: this.place } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function formatPlace(place: ErrorPlace | undefined): string {
  if (!place) return '';
  const location = [place.file, place.line, place.line !== undefined ? place.column : undefined]
    .filter((part) => part !== undefined)
    .join(':');
  return [location, place.field].filter((part) => part).join(': ');
}

export function isSluiceError(error: unknown): error is SluiceError {
  return error instanceof SluiceError;
}

/** For exhaustive switches over tagged unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

export function errorMessage(error: unknown): string {
  if (error instanceof SluiceError) return error.toString();
  if (error instanceof Error) return error.message;
  return String(error);
}

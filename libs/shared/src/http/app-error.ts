/**
 * A refusal a person can act on: a stable code, a message in the reader's language (Chinese for
 * residents and operators), the field at fault if there is one. Mapped to HTTP in one place.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The one error body of every HTTP API. */
export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}

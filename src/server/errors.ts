/**
 * The error type of the status API: a message for the client and the HTTP status to answer with.
 *
 * @module
 */

/** An error with the HTTP status it should answer with. */
export class ApiError extends Error {
  /** `status` is the HTTP status; the message is sent to the client as `{ error }`. */
  constructor(readonly status: 400 | 401 | 403 | 404 | 409 | 500 | 503, message: string) {
    super(message);
  }
}

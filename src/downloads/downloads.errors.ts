/** The errors download commands and queries throw; the API's error handler maps them to 404, 409, 429. */

export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** maxQueueSize is reached. The API's error handler answers with `statusCode` and the message. */
export class QueueFullError extends Error {
  readonly statusCode = 429;
  constructor(active: number) {
    super(
      `The queue holds ${active} unfinished downloads, the most maxQueueSize allows; ` +
        'wait for some to finish, cancel some, or raise maxQueueSize (PATCH /api/settings)',
    );
    this.name = 'QueueFullError';
  }
}

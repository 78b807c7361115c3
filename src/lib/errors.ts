// The errors that speak to the person. A UserError's message is a sentence for the person (what happened, what to
// do) and crosses the worker boundary as is; any other error is a bug or a platform failure, and reaches the person
// wrapped in the job's own sentence with the original kept as detail. Tested with `instanceof`, never by name, so
// a minifier may rename the classes.

export class UserError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** The job was cancelled by its caller; what it stored so far is kept. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'CancelledError';
  }
}

/** A shard that cannot be read, or a stage that cannot run on it (too few labels, no validation images). */
export class ShardError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ShardError';
  }
}

/** A model file that cannot be used: damaged, foreign, or made for other features or another shard. */
export class ModelFileError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

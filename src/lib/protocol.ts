// The message shapes every worker shares (whisper-web style): each reply names its job and has a `type`;
// errors travel as data with a sentence for the person and detail for the developer.
import type { Progress } from './progress';

export interface ProgressReply {
  type: 'progress';
  jobId: number;
  progress: Progress;
}

export interface ErrorReply {
  type: 'error';
  jobId: number;
  /** For the person: what happened and what to do. */
  message: string;
  /** For the developer: the original error and stack. */
  detail: string;
  cancelled: boolean;
}

export interface CancelRequest {
  type: 'cancel';
  jobId: number;
}

export class CancelledError extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'CancelledError';
  }
}

export function errorReply(jobId: number, err: unknown, fallback: string): ErrorReply {
  const e = err as Error;
  const cancelled = e?.name === 'CancelledError';
  const known =
    e?.name === 'ShardError' ||
    e?.constructor?.name === 'ShardError' ||
    e?.constructor?.name === 'QuotaError' ||
    e?.name === 'ModelFileError';
  return {
    type: 'error',
    jobId,
    message: cancelled
      ? 'Cancelled; everything computed so far is kept.'
      : known
        ? e.message
        : `${fallback} (${e?.message ?? String(err)})`,
    detail: e?.stack ?? String(err),
    cancelled,
  };
}

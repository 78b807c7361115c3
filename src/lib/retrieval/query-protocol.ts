// The query worker's methods (workers/query.worker.ts), shared by the page and the worker: answers that need no
// trained net, so they come while the training worker is still busy.
import type { Method } from '../rpc';
import type { FirstAnswer, FirstAnswerRequest } from './first-answers';

export type QueryMethods = {
  /** An image of the collection ranked by raw-feature cosine among the images whose features are stored. */
  lookAlike: Method<FirstAnswerRequest, never, FirstAnswer>;
};

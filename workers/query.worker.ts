// Query worker: answers from the first feature (src/lib/retrieval/first-answers.ts), wired to typed messages. Thin.
// A worker of its own because the training worker is busy training when these answers are wanted. Clearing the
// cache terminates it, and its index with it.
import { FirstAnswers, storedFeatures } from '../src/lib/retrieval/first-answers';
import type { QueryMethods } from '../src/lib/retrieval/query-protocol';
import { serve } from '../src/lib/rpc';
import { heldConnection } from '../src/lib/store/db';

const answers = new FirstAnswers(storedFeatures(heldConnection));

serve<QueryMethods>({ lookAlike: (req) => answers.answer(req) }, { lookAlike: 'Searching by look failed' }, self);

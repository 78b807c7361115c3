// The page's one session, over real workers and the browser's storage. Creating it reads nothing: main.ts calls
// `init()` and `restore()`.
import { featureModelId, MODEL_PATH } from '../lib/features/model';
import { Session } from './session';
import { browserWorkers } from './workers';

let modelId: Promise<string> | null = null;

export const session = new Session({
  workers: browserWorkers(),
  storage: localStorage,
  location,
  storageManager: navigator.storage,
  history,
  onPopState: (listener) => {
    addEventListener('popstate', listener);
    return () => removeEventListener('popstate', listener);
  },
  featureModelId: () =>
    (modelId ??= fetch(new URL(MODEL_PATH, new URL(import.meta.env.BASE_URL, location.href)))
      .then((r) => r.json())
      .then((json) => featureModelId(json.simage?.modelId ?? 'inception-v3'))
      .catch((err) => {
        modelId = null;
        throw err;
      })),
});

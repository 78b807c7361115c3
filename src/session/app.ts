// The page's one session, over real workers and the browser's storage. Creating it reads nothing: main.ts calls
// `init()` and `restore()`.
import { featureModelId, MODEL_SPECS, type FeatureModelName } from '../lib/features/model';
import { Session } from './session';
import { browserWorkers } from './workers';
import { browserTabs } from './tabs';

const modelIds = new Map<FeatureModelName, Promise<string>>();

export const session = new Session({
  workers: browserWorkers(),
  tabs: browserTabs(),
  storage: localStorage,
  location,
  storageManager: navigator.storage,
  history,
  onPopState: (listener) => {
    addEventListener('popstate', listener);
    return () => removeEventListener('popstate', listener);
  },
  featureModelId: (model) => {
    let id = modelIds.get(model);
    if (!id) {
      id = fetch(new URL(MODEL_SPECS[model].path, new URL(import.meta.env.BASE_URL, location.href)))
        .then((r) => r.json())
        .then((json) => featureModelId(json.simage?.modelId ?? model));
      id.catch(() => modelIds.delete(model));
      modelIds.set(model, id);
    }
    return id;
  },
});

// Entry point: mounts the app and exposes a small, read-mostly hook for the headless CLI and browser tests.
import { mount } from 'svelte';
import { get } from 'svelte/store';
import App from './App.svelte';
import * as pipeline from './stores/pipeline';

mount(App, { target: document.getElementById('app')! });

declare global {
  interface Window {
    __simage: unknown;
  }
}

window.__simage = {
  snapshot: () => ({
    stages: get(pipeline.stages),
    report: get(pipeline.report),
    error: get(pipeline.errorMessage),
    backend: get(pipeline.backendInfo),
    images: get(pipeline.images).length,
    featureCount: get(pipeline.featureCount),
    resumeHint: get(pipeline.resumeHint),
    runInfo: get(pipeline.runInfo),
  }),
  /** Searches with an image of the loaded shard; resolves with the ranked results. */
  search: async (imageId: string) => {
    await pipeline.searchImage(imageId);
    return get(pipeline.search);
  },
  model: () => get(pipeline.model),
  imageIds: () => get(pipeline.images).map((im) => im.imageId),
  shardSummary: () => get(pipeline.shard)?.summary ?? null,
  runUrl: (url: string) => pipeline.runShard({ kind: 'url', url: new URL(url, location.href).href }),
  cancel: pipeline.cancel,
  cacheCounts: pipeline.cacheCounts,
  verifyCache: pipeline.verifyCache,
  embedUrls: async (urls: string[], backend: string) => {
    const buffers = await Promise.all(urls.map(async (u) => (await fetch(u)).arrayBuffer()));
    const r = await pipeline.embedImages(buffers, backend as never);
    return {
      flatten: Array.from(r.flatten),
      mixed7: Array.from(r.mixed7),
      backend: r.backend,
      msPerImage: r.msPerImage,
      forwardMsPerImage: r.forwardMsPerImage,
    };
  },
};
void pipeline.restore();

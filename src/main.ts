// Entry point: reads the URL and stored settings, mounts the app, installs the test hook, resumes what a reload
// interrupted. Evaluating the bundle, reading the settings, drawing the page (its parts in tasks of their own:
// views/Later.svelte) and starting a resumed run (reading the store, starting the load) each run in a task of their
// own: together they made one long first task, and on a slow machine a task past 200 ms is a page that does not
// answer. The hook comes with the drawn page, so a test that sees it sees the page.
import { mount } from 'svelte';
import App from './App.svelte';
import { installHook } from './hook';
import { session } from './session/app';
import { hardwareWebGl } from './views/map/points';

// The first read of localStorage waits for the browser to load it (50 ms here): a task of its own too.
setTimeout(() => {
  session.init();
  setTimeout(() => {
    mount(App, { target: document.getElementById('app')! });
    installHook(session);
    setTimeout(() => void session.restore(), 0);
    // The map's renderer choice probes WebGL once (a throwaway context: 20 ms or more): done while the page is idle,
    // not inside the task that first draws the map.
    const idle = (globalThis as { requestIdleCallback?: (f: () => void) => void }).requestIdleCallback ?? ((f) => setTimeout(f, 500));
    idle(() => hardwareWebGl());
  }, 0);
}, 0);

// Entry point: reads the URL and stored settings, installs the test hook, mounts the app, resumes what a reload
// interrupted. Each of the three in a task of its own: evaluating the bundle, drawing the page and starting a
// resumed run (reading the store, starting the load) would otherwise make one long first task, and on a slow
// machine a task past 200 ms is a page that does not answer.
import { mount } from 'svelte';
import App from './App.svelte';
import { installHook } from './hook';
import { session } from './session/app';

session.init();
installHook(session);
setTimeout(() => {
  mount(App, { target: document.getElementById('app')! });
  setTimeout(() => void session.restore(), 0);
}, 0);

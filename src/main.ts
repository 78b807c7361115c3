// Entry point: reads the URL and stored settings, mounts the app, installs the test hook, resumes what a reload
// interrupted.
import { mount } from 'svelte';
import App from './App.svelte';
import { installHook } from './hook';
import { session } from './session/app';

session.init();
mount(App, { target: document.getElementById('app')! });
installHook(session);
// In a task of its own: the first one (evaluating the bundle and drawing the page) is the page's longest, and a
// resumed run (reading the store, starting the load) need not lengthen it.
setTimeout(() => void session.restore(), 0);

// Entry point: reads the URL and stored settings, mounts the app, installs the test hook, resumes what a reload
// interrupted.
import { mount } from 'svelte';
import App from './App.svelte';
import { installHook } from './hook';
import { session } from './session/app';

session.init();
mount(App, { target: document.getElementById('app')! });
installHook(session);
void session.restore();

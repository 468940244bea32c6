// App entry: mounts the Svelte UI and starts the app state.
import { mount } from 'svelte';
import App from './ui/App.svelte';
import { AppState } from './lib/state/app.svelte';
import './ui/global.css';

const app = new AppState();
mount(App, { target: document.getElementById('app')!, props: { app } });
void app.start(new URL(location.href));

// App entry: applies the colour theme, mounts the Svelte UI and starts the app state.
import { mount } from 'svelte';
import App from './ui/App.svelte';
import { AppState } from './lib/state/app.svelte';
import { ThemeState } from './lib/state/theme.svelte';
import './ui/global.css';

// Before mounting, so a chosen theme is on <html> before the app's first paint (the CSP allows no inline script).
const theme = new ThemeState();
const app = new AppState();
mount(App, { target: document.getElementById('app')!, props: { app, theme } });
void app.start(new URL(location.href));

// Registers the offline copy's service worker (sw.js, made by the build from vite.config.ts) and reports its state.

/** Where the offline copy of the app stands in this tab. */
export type OfflineWorkerState =
  /** The browser has no service workers (or refuses them here: a private window, an insecure origin). */
  | 'unsupported'
  /** A development server: no worker, so stale files never hide an edit. */
  | 'development'
  /** The worker is downloading the app's files. */
  | 'installing'
  /** The app's files are cached and the worker answers this tab. */
  | 'ready'
  /** Registration failed (see the error). */
  | 'failed'
  /** The user cleared the offline copies in this tab: nothing is cached until the next visit sets it up again. */
  | 'cleared';

export interface RegisterOptions {
  /** Only production builds have sw.js. */
  production: boolean;
  /** The worker script's URL, resolved against the page (the app may be served from any path). */
  scriptUrl: string;
  /** Called whenever the state changes. */
  onState(state: OfflineWorkerState, error?: unknown): void;
}

/** Resolves once `registration` has an active worker that controls this page. */
async function controlled(container: ServiceWorkerContainer): Promise<void> {
  await container.ready;
  if (container.controller) return;
  // clientsClaim in the worker makes it take this page as soon as it activates.
  await new Promise<void>((resolve) => container.addEventListener('controllerchange', () => resolve(), { once: true }));
}

/**
 * Registers the service worker where it can work and reports 'installing' until its files are cached and it controls
 * this page, then 'ready'. Never throws: without the worker the app still works online.
 */
export async function registerOfflineWorker(options: RegisterOptions): Promise<ServiceWorkerRegistration | null> {
  if (!options.production) {
    options.onState('development');
    return null;
  }
  const container = typeof navigator !== 'undefined' ? navigator.serviceWorker : undefined;
  if (!container) {
    options.onState('unsupported');
    return null;
  }
  try {
    const registration = await container.register(options.scriptUrl, { updateViaCache: 'none' });
    options.onState(registration.active && container.controller ? 'ready' : 'installing');
    await controlled(container);
    options.onState('ready');
    return registration;
  } catch (error) {
    // Some browsers refuse service workers in private windows with a SecurityError: that is the same as none.
    if (error instanceof DOMException && error.name === 'SecurityError') options.onState('unsupported', error);
    else options.onState('failed', error);
    return null;
  }
}

/** Unregisters every service worker of this origin, so the next visit installs a fresh one. */
export async function unregisterOfflineWorkers(): Promise<void> {
  const container = typeof navigator !== 'undefined' ? navigator.serviceWorker : undefined;
  if (!container) return;
  const registrations = await container.getRegistrations();
  await Promise.all(registrations.map((r) => r.unregister()));
}

// Registering the offline copy's service worker: production only, where supported, ready once it controls the page.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerOfflineWorker, unregisterOfflineWorkers } from '../../../src/lib/offline/register';

/** A stand-in ServiceWorkerContainer whose worker takes the page when `activate` is called. */
function fakeContainer(register: (url: string) => Promise<unknown>) {
  const listeners: (() => void)[] = [];
  let readyResolve = () => {};
  const container = {
    controller: null as object | null,
    ready: new Promise<void>((r) => (readyResolve = r)),
    register: vi.fn(register),
    getRegistrations: vi.fn(async () => [{ unregister: vi.fn(async () => true) }]),
    addEventListener: (_: string, fn: () => void) => listeners.push(fn),
  };
  const activate = () => {
    readyResolve();
    container.controller = {};
    listeners.forEach((fn) => fn());
  };
  return { container, activate };
}

afterEach(() => vi.unstubAllGlobals());

describe('registerOfflineWorker', () => {
  const scriptUrl = 'http://localhost/sw.js';

  it('registers nothing in a development build or without service workers', async () => {
    const states: string[] = [];
    const { container } = fakeContainer(async () => ({}));
    vi.stubGlobal('navigator', { serviceWorker: container });
    expect(await registerOfflineWorker({ production: false, scriptUrl, onState: (s) => states.push(s) })).toBeNull();
    expect(container.register).not.toHaveBeenCalled();
    vi.stubGlobal('navigator', {});
    expect(await registerOfflineWorker({ production: true, scriptUrl, onState: (s) => states.push(s) })).toBeNull();
    expect(states).toEqual(['development', 'unsupported']);
  });

  it('says installing until the worker controls the page, then ready', async () => {
    const states: string[] = [];
    const registration = { active: null };
    const { container, activate } = fakeContainer(async () => registration);
    vi.stubGlobal('navigator', { serviceWorker: container });
    const done = registerOfflineWorker({ production: true, scriptUrl, onState: (s) => states.push(s) });
    await vi.waitFor(() => expect(states).toEqual(['installing']));
    activate();
    expect(await done).toBe(registration);
    expect(states).toEqual(['installing', 'ready']);
    expect(container.register).toHaveBeenCalledWith(scriptUrl, { updateViaCache: 'none' });
  });

  it('treats a refusal (private window) as unsupported and any other failure as failed, without throwing', async () => {
    const seen: [string, unknown][] = [];
    const onState = (s: string, e?: unknown) => seen.push([s, e]);
    const refused = new DOMException('no', 'SecurityError');
    vi.stubGlobal('navigator', { serviceWorker: fakeContainer(() => Promise.reject(refused)).container });
    expect(await registerOfflineWorker({ production: true, scriptUrl, onState })).toBeNull();
    const broken = new TypeError('bad script');
    vi.stubGlobal('navigator', { serviceWorker: fakeContainer(() => Promise.reject(broken)).container });
    expect(await registerOfflineWorker({ production: true, scriptUrl, onState })).toBeNull();
    expect(seen).toEqual([
      ['unsupported', refused],
      ['failed', broken],
    ]);
  });

  it('unregisters every worker of the origin', async () => {
    const { container } = fakeContainer(async () => ({}));
    vi.stubGlobal('navigator', { serviceWorker: container });
    await unregisterOfflineWorkers();
    const [registration] = await container.getRegistrations.mock.results[0]!.value;
    expect(registration.unregister).toHaveBeenCalled();
  });
});

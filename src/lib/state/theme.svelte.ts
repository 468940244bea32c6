// The colour theme: the user's choice (system, light, dark), kept in localStorage and applied to <html> as data-theme.
import { effectiveTheme, parseThemeChoice, toggledChoice, type Theme, type ThemeChoice } from './theme';

export const THEME_KEY = 'lectern-theme';

/** Where the choice is kept; reads and writes may throw (storage switched off), which costs only the memory. */
export interface ThemeStore {
  get(): string | null;
  set(value: string): void;
}

/** The page's side: the root element's dataset, and the system preference with its change events. */
export interface ThemeHost {
  root: { dataset: DOMStringMap };
  media: Pick<MediaQueryList, 'matches' | 'addEventListener'>;
}

const browserStore: ThemeStore = {
  get: () => localStorage.getItem(THEME_KEY),
  set: (v) => localStorage.setItem(THEME_KEY, v),
};

const browserHost = (): ThemeHost => ({
  root: document.documentElement,
  media: matchMedia('(prefers-color-scheme: dark)'),
});

export class ThemeState {
  choice = $state<ThemeChoice>('system');
  systemDark = $state(false);
  /** The theme on screen. */
  readonly theme: Theme = $derived(effectiveTheme(this.choice, this.systemDark));

  /** Reads the stored choice and applies it at once: main.ts makes this before the app mounts, so before it paints. */
  constructor(
    private readonly store: ThemeStore = browserStore,
    private readonly host: ThemeHost = browserHost(),
  ) {
    let stored: string | null = null;
    try {
      stored = store.get();
    } catch {
      // No storage: follow the system.
    }
    this.choice = parseThemeChoice(stored);
    this.systemDark = host.media.matches;
    host.media.addEventListener('change', (e) => (this.systemDark = e.matches));
    this.apply();
  }

  /** Sets and keeps the user's choice. */
  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      this.store.set(choice);
    } catch {
      // Not kept (storage switched off): applies for this visit only.
    }
    this.apply();
  }

  /** The header's quick toggle: the other theme (see toggledChoice). */
  toggle(): void {
    this.set(toggledChoice(this.choice, this.systemDark));
  }

  /** CSS follows data-theme (its color-scheme picks each colour's light or dark value); none means the system's. */
  private apply(): void {
    if (this.choice === 'system') delete this.host.root.dataset['theme'];
    else this.host.root.dataset['theme'] = this.choice;
  }
}

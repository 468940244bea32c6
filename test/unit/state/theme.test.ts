// The colour theme: stored choices read back safely, the theme in effect, the header toggle, and what lands on <html>.
import { describe, expect, it } from 'vitest';
import { effectiveTheme, parseThemeChoice, toggledChoice } from '../../../src/lib/state/theme';
import { ThemeState, type ThemeHost, type ThemeStore } from '../../../src/lib/state/theme.svelte';

function fakes(stored: string | null, systemDark: boolean, { broken = false } = {}) {
  const saved: string[] = [];
  const listeners: ((e: { matches: boolean }) => void)[] = [];
  const store: ThemeStore = {
    get: () => {
      if (broken) throw new Error('SecurityError');
      return stored;
    },
    set: (v) => {
      if (broken) throw new Error('QuotaExceededError');
      saved.push(v);
    },
  };
  const host = {
    root: { dataset: {} as DOMStringMap },
    media: {
      matches: systemDark,
      addEventListener: (_: string, f: (e: { matches: boolean }) => void) => listeners.push(f),
    },
  } as unknown as ThemeHost;
  return { store, host, saved, flip: (dark: boolean) => listeners.forEach((f) => f({ matches: dark })) };
}

describe('theme rules', () => {
  it('reads back only known choices; anything else follows the system', () => {
    expect(parseThemeChoice('dark')).toBe('dark');
    expect(parseThemeChoice('light')).toBe('light');
    expect(parseThemeChoice('system')).toBe('system');
    for (const bad of [null, undefined, '', 'Dark', 'sepia', '{"theme":"dark"}'])
      expect(parseThemeChoice(bad)).toBe('system');
  });

  it('follows the system only when asked to', () => {
    expect(effectiveTheme('system', true)).toBe('dark');
    expect(effectiveTheme('system', false)).toBe('light');
    expect(effectiveTheme('light', true)).toBe('light');
    expect(effectiveTheme('dark', false)).toBe('dark');
  });

  it('toggles to the other theme, and back to the system when that is what the system shows', () => {
    expect(toggledChoice('system', false)).toBe('dark');
    expect(toggledChoice('dark', false)).toBe('system');
    expect(toggledChoice('system', true)).toBe('light');
    expect(toggledChoice('light', true)).toBe('system');
    expect(toggledChoice('light', false)).toBe('dark');
    expect(toggledChoice('dark', true)).toBe('light');
  });
});

describe('ThemeState', () => {
  it('applies the stored choice at once, and keeps a new one', () => {
    const f = fakes('dark', false);
    const theme = new ThemeState(f.store, f.host);
    expect(theme.choice).toBe('dark');
    expect(theme.theme).toBe('dark');
    expect(f.host.root.dataset['theme']).toBe('dark');
    theme.set('system');
    expect(f.host.root.dataset['theme']).toBeUndefined();
    expect(theme.theme).toBe('light');
    expect(f.saved).toEqual(['system']);
  });

  it('follows the system preference as it changes, and the toggle acts on what is shown', () => {
    const f = fakes(null, false);
    const theme = new ThemeState(f.store, f.host);
    expect(theme.theme).toBe('light');
    f.flip(true);
    expect(theme.theme).toBe('dark');
    expect(f.host.root.dataset['theme']).toBeUndefined();
    theme.toggle();
    expect(theme.choice).toBe('light');
    expect(f.host.root.dataset['theme']).toBe('light');
    expect(f.saved).toEqual(['light']);
  });

  it('still works for this visit when storage is switched off', () => {
    const f = fakes(null, true, { broken: true });
    const theme = new ThemeState(f.store, f.host);
    expect(theme.theme).toBe('dark');
    theme.set('light');
    expect(theme.theme).toBe('light');
    expect(f.host.root.dataset['theme']).toBe('light');
  });
});

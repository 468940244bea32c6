// The colour theme's rules, kept pure for tests: which choices exist, which one is in effect, what the quick toggle picks.

/** What the user chose: follow the system (prefers-color-scheme), or always light or dark. */
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];

/** A stored value back to a choice; anything unknown (absent, edited, an older format) means following the system. */
export function parseThemeChoice(raw: string | null | undefined): ThemeChoice {
  return THEME_CHOICES.includes(raw as ThemeChoice) ? (raw as ThemeChoice) : 'system';
}

/** The theme shown for a choice when the system prefers dark (`systemDark`) or not. */
export function effectiveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

/**
 * The header's one-button toggle: shows the other theme. Where that is what the system prefers anyway, it goes back to
 * following the system, so two presses never leave the app pinned to a theme the user did not pick in Settings.
 */
export function toggledChoice(choice: ThemeChoice, systemDark: boolean): ThemeChoice {
  const next: Theme = effectiveTheme(choice, systemDark) === 'dark' ? 'light' : 'dark';
  return next === (systemDark ? 'dark' : 'light') ? 'system' : next;
}

// Which answer template version each new question uses: one pinned version, or two alternated (A/B) by a counter.
import { PROMPT_NAME, PROMPT_VERSION } from './prompt';
import { promptVersions, type PromptTemplate } from './prompts';

/** Pin one version, or alternate two (A/B): the first question after choosing A/B gets `versions[0]`. */
export type PromptChoice = { mode: 'pin'; version: number } | { mode: 'ab'; versions: [number, number] };

/** What is kept across reloads: the choice and how many questions took a version under it. */
export interface PromptAssignment {
  name: string;
  choice: PromptChoice;
  /** Questions assigned since the choice was made; A/B gives version `versions[count % 2]`. */
  count: number;
}

/** The default: the answer template's default version, pinned. */
export function defaultAssignment(): PromptAssignment {
  return { name: PROMPT_NAME, choice: { mode: 'pin', version: PROMPT_VERSION }, count: 0 };
}

const isVersion = (v: unknown, known: readonly number[]): v is number => typeof v === 'number' && known.includes(v);

/**
 * Accepts a stored assignment only when it names versions the app still ships (a version removed by an update would
 * otherwise be asked for forever) and a sane counter; anything else reads as the default.
 */
export function isAssignment(value: unknown): value is PromptAssignment {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Partial<PromptAssignment>;
  if (a.name !== PROMPT_NAME || !Number.isSafeInteger(a.count) || (a.count as number) < 0) return false;
  const known = promptVersions(PROMPT_NAME).map((p) => p.version);
  const c = a.choice as Partial<{ mode: string; version: unknown; versions: unknown }> | undefined;
  if (c?.mode === 'pin') return isVersion(c.version, known);
  if (c?.mode !== 'ab' || !Array.isArray(c.versions) || c.versions.length !== 2) return false;
  const [x, y] = c.versions as unknown[];
  return isVersion(x, known) && isVersion(y, known) && x !== y;
}

/** A new choice starts its own count, so A/B always begins with its first version. */
export function choose(choice: PromptChoice): PromptAssignment {
  return { name: PROMPT_NAME, choice, count: 0 };
}

/** The version the next question uses, and the assignment to store for the one after it. */
export function assign(current: PromptAssignment): { version: number; next: PromptAssignment } {
  const { choice } = current;
  const version = choice.mode === 'pin' ? choice.version : choice.versions[current.count % 2]!;
  return { version, next: { ...current, count: current.count + 1 } };
}

/** The answer template at a version the assignment gave. */
export function answerTemplate(version: number): PromptTemplate {
  const template = promptVersions(PROMPT_NAME).find((p) => p.version === version);
  if (!template) throw new Error(`Unknown prompt ${PROMPT_NAME} v${version}.`);
  return template;
}

/** The choices Settings offers: each version pinned, and each pair of versions alternated (older first). */
export function promptChoices(): PromptChoice[] {
  const versions = promptVersions(PROMPT_NAME).map((p) => p.version);
  const pins: PromptChoice[] = versions.map((version) => ({ mode: 'pin', version }));
  const pairs: PromptChoice[] = versions.flatMap((a, i) =>
    versions.slice(i + 1).map((b): PromptChoice => ({ mode: 'ab', versions: [a, b] })),
  );
  return [...pins, ...pairs];
}

/** Two choices are the same (pinned version, or the same A/B pair in the same order). */
export function sameChoice(a: PromptChoice, b: PromptChoice): boolean {
  if (a.mode === 'pin') return b.mode === 'pin' && a.version === b.version;
  if (b.mode === 'pin') return false;
  return a.versions[0] === b.versions[0] && a.versions[1] === b.versions[1];
}

// Settings → Prompts as the UI sees it: the answer template's versions with their figures, and pin or A/B.
import { AppError, causeOf } from '../errors';
import type { PromptTemplate } from '../answer/prompts';
import { recordPromptUse, type LecternDatabase, type PromptUse } from '../persistence';
import {
  DEFAULT_ANSWER_PROMPT,
  loadPromptAssignment,
  loadPromptFigures,
  promptChoices,
  sameChoice,
  savePromptChoice,
  takeAnswerPrompt,
  type PromptAssignment,
  type PromptChoice,
  type PromptVersionFigures,
} from '../pipelines/prompts';

export type { PromptChoice, PromptVersionFigures };

export interface PromptsContext {
  db(): LecternDatabase | null;
  info(text: string): void;
  fail(err: AppError): void;
}

export class PromptsState {
  /** The stored choice and its counter; null until read. */
  assignment = $state<PromptAssignment | null>(null);
  figures = $state<PromptVersionFigures[]>([]);
  /** Reading the figures is under way. */
  loading = $state(false);
  error = $state<AppError | null>(null);
  /** Each version pinned, then each pair alternated. */
  readonly choices: PromptChoice[] = promptChoices();

  constructor(private readonly ctx: PromptsContext) {}

  /** Reads the choice and every version's figures again (the latest evaluation run of each included). */
  async refresh(): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    this.loading = true;
    try {
      [this.assignment, this.figures] = await Promise.all([loadPromptAssignment(db), loadPromptFigures(db)]);
      this.error = null;
    } catch (err) {
      this.error = new AppError('PROMPT_FIGURES_FAILED', undefined, { cause: causeOf(err) });
    } finally {
      this.loading = false;
    }
  }

  isChosen(choice: PromptChoice): boolean {
    return this.assignment !== null && sameChoice(this.assignment.choice, choice);
  }

  /** Pins a version or starts A/B; kept across reloads, applies to the next question. */
  async choose(choice: PromptChoice): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    try {
      this.assignment = await savePromptChoice(db, choice);
      this.error = null;
      this.ctx.info(
        choice.mode === 'pin'
          ? `New questions use prompt version ${choice.version}.`
          : `New questions alternate prompt versions ${choice.versions[0]} and ${choice.versions[1]}.`,
      );
    } catch (err) {
      this.error = new AppError('PROMPT_CHOICE_FAILED', undefined, { cause: causeOf(err) });
    }
  }

  /** The ask pipeline's port: the template for this question (advances A/B). Never throws: when storage fails, the default. */
  async take(): Promise<PromptTemplate> {
    const db = this.ctx.db();
    if (!db) return DEFAULT_ANSWER_PROMPT;
    try {
      return await takeAnswerPrompt(db);
    } catch (err) {
      this.ctx.fail(
        new AppError('PROMPT_ASSIGNMENT_FAILED', undefined, {
          cause: causeOf(err),
          version: DEFAULT_ANSWER_PROMPT.version,
        }),
      );
      return DEFAULT_ANSWER_PROMPT;
    }
  }

  /** The ask pipeline's port: counts a written answer in its version's figures. Never throws. */
  async used(use: PromptUse): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    await recordPromptUse(db, use).catch((err: unknown) =>
      this.ctx.fail(new AppError('PROMPT_STATS_FAILED', undefined, { cause: causeOf(err) })),
    );
  }
}

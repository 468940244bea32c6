// Record shape of the prompt figures store (v5): running telemetry per prompt template version.

/** A running mean: how many values it holds and their mean (updated one value at a time). */
export interface RunningMean {
  n: number;
  mean: number;
}

/** Keyed `<template name>@<version>`. */
export interface PromptStatsRecord {
  key: string;
  name: string;
  version: number;
  /** Answers written with this version (the model was asked; refusals by the relevance gate never reach it). */
  uses: number;
  /** Of those, answers in which the model declined ("Your documents do not say."). */
  refusals: number;
  /** Milliseconds to the first token, and to the whole answer. */
  firstTokenMs: RunningMean;
  totalMs: RunningMean;
  /** Tokens of the fitted prompt (what was sent), and of the answer. */
  tokensIn: RunningMean;
  tokensOut: RunningMean;
  /** Share of the answer's checked sentences the grounding check supports; answers with none checked are left out. */
  grounding: RunningMean;
  /** Last change (ms since epoch). */
  updatedAt: number;
}

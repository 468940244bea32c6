// Record shape of the prompt figures store (v5): running telemetry per prompt template version.

/** Keyed `<template name>@<version>`. */
export interface PromptStatsRecord {
  key: string;
}

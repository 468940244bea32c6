// Fills a prompt template's {{variables}} into chat messages, fencing document text so it stays data.
import type { ChatMessage } from '../../models/generator/types';
import { stripCitations } from '../citations';
import type { PromptPassage, PromptTemplate, PromptValue } from './types';

const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;

/** Longest history message the query-rewrite prompt quotes; a follow-up needs the gist, not a whole answer. */
export const HISTORY_MESSAGE_CHARS = 600;

/** Names of the {{variables}} a template text uses, in order of first use. */
export function placeholdersOf(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(PLACEHOLDER), (m) => m[1]!))];
}

/**
 * Makes untrusted text inert inside our frame: tag-like strings that would open or close one of our
 * sections lose their '<', and chat control tokens (ChatML's <|im_end|>, Llama's [INST], <s>, Gemma's
 * <start_of_turn>) are broken apart so the tokenizer cannot read them as special tokens.
 */
export function fenceText(text: string): string {
  return text
    .replace(/<(\s*\/?\s*(?:passages?|history)\b)/gi, '&lt;$1')
    .replace(/<\|/g, '< |')
    .replace(/\|>/g, '| >')
    .replace(/<(\/?s|(?:start|end)_of_turn)>/gi, '&lt;$1&gt;')
    .replace(/\[(\/?INST)\]/g, '[ $1 ]');
}

function attribute(text: string): string {
  return fenceText(text).replace(/"/g, "'").replace(/\s+/g, ' ').trim();
}

/** Numbered passages, each framed in <passage n="…" source="…"> … </passage>, blank line between. */
export function formatPassages(passages: readonly PromptPassage[]): string {
  return passages
    .map((p) => `<passage n="${p.n}" source="${attribute(p.source)}">\n${fenceText(p.text.trim())}\n</passage>`)
    .join('\n\n');
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/**
 * A conversation as a plain transcript ("User: …" / "Assistant: …"), one message a line. Citation markers
 * are dropped (they point at passages the rewriter cannot see) and long messages are clipped.
 */
export function formatHistory(messages: readonly ChatMessage[]): string {
  return messages
    .filter((m) => m.role !== 'system')
    .map((m) => {
      const text = clip(stripCitations(m.content).replace(/\s+/g, ' ').trim(), HISTORY_MESSAGE_CHARS);
      return `${m.role === 'user' ? 'User' : 'Assistant'}: ${fenceText(text)}`;
    })
    .join('\n');
}

function formatValue(value: PromptValue): string {
  if (typeof value === 'string') return fenceText(value.trim());
  if (value.length === 0) return '(none)';
  const first = value[0]!;
  if ('role' in first) return formatHistory(value as readonly ChatMessage[]);
  return formatPassages(value as readonly PromptPassage[]);
}

export interface RenderOptions {
  /** Earlier turns, placed as chat messages between the system and the new user message. */
  history?: readonly ChatMessage[];
}

/**
 * Renders a template into chat messages: [system, ...history, user]. Throws when a declared variable is
 * missing or an undeclared one is given, so a typo cannot silently leave "{{question}}" in a prompt.
 */
export function renderPrompt(
  template: PromptTemplate,
  vars: Readonly<Record<string, PromptValue>>,
  options: RenderOptions = {},
): ChatMessage[] {
  const label = `Prompt ${template.name} v${template.version}`;
  for (const name of template.variables) {
    if (vars[name] === undefined) throw new Error(`${label}: missing variable "${name}".`);
  }
  for (const name of Object.keys(vars)) {
    if (!template.variables.includes(name)) throw new Error(`${label}: unknown variable "${name}".`);
  }
  // One pass over the template text, so a value containing "{{x}}" is never expanded again.
  const fill = (text: string) =>
    text.replace(PLACEHOLDER, (_, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new Error(`${label}: the text uses undeclared variable "${name}".`);
      return formatValue(value);
    });
  const history = (options.history ?? [])
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role, content: fenceText(m.role === 'assistant' ? stripCitations(m.content) : m.content) }));
  return [
    { role: 'system', content: fill(template.system) },
    ...history,
    { role: 'user', content: fill(template.user) },
  ];
}

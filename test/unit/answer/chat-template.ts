// Test helper: renders chat messages through a Hugging Face chat template (Jinja) exactly as transformers.js does.
import { Template } from '@huggingface/jinja';
import type { ChatMessage } from '../../../src/lib/models/generator/types';

/** A special token as tokenizer_config.json writes it: a plain string or an AddedToken object. */
export type ConfigToken = string | { __type?: string; content: string } | null | undefined;

/** The parts of tokenizer_config.json that rendering needs. */
export interface TokenizerConfigLike {
  chat_template?: string | readonly { name: string; template: string }[] | null;
  bos_token?: ConfigToken;
  eos_token?: ConfigToken;
  unk_token?: ConfigToken;
  sep_token?: ConfigToken;
  pad_token?: ConfigToken;
  cls_token?: ConfigToken;
  mask_token?: ConfigToken;
  [key: string]: unknown;
}

export interface RenderChatOptions {
  /** Source of bos_token, eos_token and the other special tokens the template may print. */
  tokenizerConfig?: TokenizerConfigLike;
  /** End with the assistant's opening, as the text-generation pipeline does. Default true. */
  addGenerationPrompt?: boolean;
  /** Extra template variables, passed last (they override everything else, as transformers.js kwargs do). */
  variables?: Readonly<Record<string, unknown>>;
}

// The same list transformers.js reads from the config (it leaves additional_special_tokens out too).
const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

/** Special tokens by name, skipping empty ones, as transformers.js's getTokenFromConfig reads them. */
export function specialTokensOf(config: TokenizerConfigLike): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const item = config[key] as ConfigToken;
    if (!item) continue;
    if (typeof item === 'string') out[key] = item;
    else if (item.__type === undefined || item.__type === 'AddedToken') out[key] = item.content;
    else throw new Error(`Unknown special token ${key} in tokenizer config.`);
  }
  return out;
}

/** The config's chat template: the string, or from a named list the given name, else "default". */
export function chatTemplateOf(config: TokenizerConfigLike, name?: string): string {
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const list = t as readonly { name: string; template: string }[];
    const hit = list.find((x) => x.name === (name ?? 'default'));
    if (hit) return hit.template;
  }
  throw new Error(name ? `The tokenizer config has no chat template named "${name}".` : 'No chat template found.');
}

// Parsing dominates for long templates (Qwen's is ~2 kB); the few the tests meet are cached, as transformers.js does.
const compiled = new Map<string, Template>();

/** The prompt text for messages: same variables, order and defaults as tokenizer.apply_chat_template. */
export function renderChat(
  messages: readonly ChatMessage[],
  chatTemplate: string,
  options: RenderChatOptions = {},
): string {
  let template = compiled.get(chatTemplate);
  if (!template) {
    template = new Template(chatTemplate);
    if (compiled.size >= 16) compiled.clear();
    compiled.set(chatTemplate, template);
  }
  return template.render({
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: options.addGenerationPrompt ?? true,
    tools: null,
    documents: null,
    ...(options.tokenizerConfig ? specialTokensOf(options.tokenizerConfig) : {}),
    ...options.variables,
  });
}

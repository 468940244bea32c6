// The generator implemented with transformers.js: chat template, streaming and prompt stop.
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  InterruptableStoppingCriteria,
  Tensor,
  TextStreamer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { AppError, causeOf } from '../../errors';
import type { Handlers } from '../../rpc';
import { assumedPace, budgets } from '../budgets';
import { GpuFallback, ignoreMoves, type DeviceMoved } from '../gpu-fallback';
import { configureRuntime, loadError, stopDownload } from '../runtime';
import { LoadOnce, loadKey } from '../load-once';
import type { ModelProgress } from '../progress';
import { forwardProgress } from '../progress';
import { CompleteChars } from './complete-chars';
import {
  cutAtCue,
  lastPositionLogProbs,
  lastRowAsFloat32,
  type ForwardTensor,
  requireVerdictIds,
  verdictInput,
  verdictTokenIds,
  visibleReasoning,
} from './judge';
import type {
  ChatMessage,
  GenerateParams,
  GenerateResult,
  GeneratorLoadParams,
  GeneratorLoadResult,
  GeneratorMethods,
  JudgeParams,
  JudgeResult,
} from './types';

interface Loaded {
  /** The registry id (what errors name). */
  id: string;
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  result: GeneratorLoadResult;
}

export class TransformersGenerator {
  private readonly loads = new LoadOnce<Loaded>();
  readonly gpu: GpuFallback<GeneratorLoadParams>;

  constructor(onMoved: (moved: DeviceMoved) => void = ignoreMoves) {
    this.gpu = new GpuFallback((p) => this.load(p), onMoved);
  }

  load(params: GeneratorLoadParams, onProgress: (p: ModelProgress) => void = () => {}): Promise<Loaded> {
    return this.loads.get(loadKey(params), () => this.doLoad(params, onProgress));
  }

  private async doLoad(params: GeneratorLoadParams, onProgress: (p: ModelProgress) => void): Promise<Loaded> {
    const { spec, runtime, device, dtype } = params;
    const mark = configureRuntime(runtime);
    const progress_callback = forwardProgress(spec.id, onProgress);
    try {
      const tokenizer = await AutoTokenizer.from_pretrained(spec.id, { revision: spec.revision, progress_callback });
      onProgress({ status: 'compiling', model: spec.id, device, dtype });
      const model = await AutoModelForCausalLM.from_pretrained(spec.id, {
        revision: spec.revision,
        device,
        dtype,
        progress_callback,
      });
      onProgress({ status: 'ready', model: spec.id, device, dtype });
      this.gpu.loaded(params);
      return { id: spec.id, tokenizer, model, result: { device, dtype } };
    } catch (err) {
      throw loadError(err, spec.id, runtime.modelBaseUrl, mark);
    }
  }

  private async loaded(): Promise<Loaded> {
    const loading = this.loads.current;
    if (!loading) throw new AppError('MODEL_NOT_LOADED', undefined, { role: 'answer' });
    return loading;
  }

  private prompt(tokenizer: PreTrainedTokenizer, messages: ChatMessage[]): string {
    return tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string;
  }

  async countTokens(messages: ChatMessage[]): Promise<number> {
    const { tokenizer } = await this.loaded();
    return tokenizer.encode(this.prompt(tokenizer, messages), { add_special_tokens: false }).length;
  }

  /**
   * Streams the answer. `expect` is told how long the next token may take (the first: in proportion to the prompt).
   * When the GPU goes away mid-answer, the model moves to WASM and decodes again from the prompt; the text already
   * streamed is not sent twice (greedy decoding repeats it, give or take the devices' rounding).
   */
  async generate(
    params: GenerateParams,
    signal: AbortSignal,
    onText: (text: string) => void,
    expect: (ms: number) => void = () => {},
  ): Promise<GenerateResult> {
    let sent = 0;
    return this.gpu.run(async () => {
      let seen = 0;
      const result = await this.generateOnce(params, signal, expect, (piece) => {
        const fresh = piece.slice(Math.max(0, sent - seen));
        seen += piece.length;
        if (!fresh) return;
        sent += fresh.length;
        onText(fresh);
      });
      return result;
    }, expect);
  }

  private async generateOnce(
    params: GenerateParams,
    signal: AbortSignal,
    expect: (ms: number) => void,
    onText: (text: string) => void,
    stopAt?: string,
  ): Promise<GenerateResult> {
    const { tokenizer, model } = await this.loaded();
    const inputs = tokenizer(this.prompt(tokenizer, params.messages), { add_special_tokens: false });
    const promptTokens = (inputs.input_ids as { dims: number[] }).dims.at(-1) ?? 0;
    expect(budgets.firstToken(this.gpu.pace, promptTokens));
    const stopper = new InterruptableStoppingCriteria();
    const onAbort = () => stopper.interrupt();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stopper.interrupt();
    const started = performance.now();
    let firstTokenMs = -1;
    let tokens = 0;
    let text = '';
    const chars = new CompleteChars();
    const streamer = new TextStreamer(tokenizer, {
      skip_prompt: true,
      skip_special_tokens: true,
      token_callback_function: () => {
        expect(budgets.token(this.gpu.pace));
        tokens++;
        if (firstTokenMs < 0) firstTokenMs = performance.now() - started;
      },
      callback_function: (piece: string) => {
        const shown = chars.push(piece);
        if (!shown) return;
        text += shown;
        onText(shown);
        // The judge's reasoning ends where the model writes the cue itself: the verdict is read from the logits.
        if (stopAt && text.includes(stopAt)) stopper.interrupt();
      },
    });
    try {
      await model.generate({
        ...inputs,
        max_new_tokens: params.maxNewTokens,
        do_sample: false,
        streamer,
        stopping_criteria: stopper,
      });
    } catch (err) {
      throw new AppError('MODEL_RUN_FAILED', undefined, { cause: causeOf(err) });
    } finally {
      signal.removeEventListener('abort', onAbort);
      chars.end();
    }
    return {
      text,
      tokens,
      firstTokenMs: Math.max(0, firstTokenMs),
      totalMs: performance.now() - started,
    };
  }

  /**
   * Deep mode's judgment: the reasoning, streamed and cut at the cue (or the token cap), then one forward pass over
   * prompt + reasoning + cue whose last position gives log P of each verdict token over the whole vocabulary.
   */
  async judge(
    params: JudgeParams,
    signal: AbortSignal,
    onText: (text: string) => void,
    expect: (ms: number) => void = () => {},
  ): Promise<JudgeResult> {
    let sent = 0;
    return this.gpu.run(async () => {
      const started = performance.now();
      // The verdict tokens first: a tokenizer without single-token verdicts would write the reasoning for nothing.
      const { id, tokenizer, model } = await this.loaded();
      const ids = requireVerdictIds(
        verdictTokenIds((text) => tokenizer.encode(text, { add_special_tokens: false }) as number[], params.verdicts),
        id,
      );
      let written = '';
      const reasoningRun = { messages: params.messages, maxNewTokens: params.maxReasoningTokens };
      const out = await this.generateOnce(
        reasoningRun,
        signal,
        expect,
        (piece) => {
          written += piece;
          const shown = visibleReasoning(written, params.cue);
          if (shown.length <= sent) return;
          onText(shown.slice(sent));
          sent = shown.length;
        },
        params.cue,
      );
      if (signal.aborted) throw new AppError('ABORTED');
      const { reasoning } = cutAtCue(out.text, params.cue);
      const input = tokenizer(verdictInput(this.prompt(tokenizer, params.messages), reasoning, params.cue), {
        add_special_tokens: false,
      });
      let logProbs: number[];
      let outputs: Record<string, ForwardTensor> = {};
      try {
        // Only the last position's logits where the graph can say so (a graph without the input ignores it).
        const keep = new Tensor('int64', BigInt64Array.from([1n]), []);
        outputs = (await model({ ...input, num_logits_to_keep: keep })) as Record<string, ForwardTensor>;
        const logits = lastRowAsFloat32(outputs.logits!);
        logProbs = lastPositionLogProbs(logits.data, logits.dims, [...ids.yes, ...ids.no]);
      } catch (err) {
        throw new AppError('MODEL_RUN_FAILED', undefined, { cause: causeOf(err) });
      } finally {
        // The KV cache this pass wrote (GPU buffers on WebGPU) is not reused: free it now.
        for (const [name, tensor] of Object.entries(outputs)) if (name !== 'logits') tensor.dispose?.();
      }
      return {
        reasoning,
        verdict: {
          yes: logProbs.slice(0, ids.yes.length),
          no: logProbs.slice(ids.yes.length),
          yesIds: ids.yes,
          noIds: ids.no,
        },
        tokens: out.tokens,
        ms: performance.now() - started,
      };
    }, expect);
  }
}

export function generatorHandlers(generator = new TransformersGenerator()): Handlers<GeneratorMethods> {
  return {
    stopDownload: async ({ model, keep }) => stopDownload(model, keep),
    load: async (params, ctx) => {
      ctx.expect(budgets.load(assumedPace(params.device)));
      return (await generator.load(params, ctx.progress)).result;
    },
    generate: (params, ctx) => generator.generate(params, ctx.signal, (text) => ctx.progress({ text }), ctx.expect),
    judge: (params, ctx) => generator.judge(params, ctx.signal, (text) => ctx.progress({ text }), ctx.expect),
    countTokens: async ({ messages }) => generator.countTokens(messages),
  };
}

// Model budgets: scaled to the device, and many times the speeds measured for real models on the slow devices.
import { describe, expect, it } from 'vitest';
import { assumedPace, budgets, paceFactor, type Pace } from '../../../src/lib/models/budgets';

const wasm2: Pace = { device: 'wasm', softwareGpu: false, cores: 2 };
const swiftshader2: Pace = { device: 'webgpu', softwareGpu: true, cores: 2 };
const gpu8: Pace = { device: 'webgpu', softwareGpu: false, cores: 8 };

describe('model budgets', () => {
  it('scale with the device: a software GPU 30×, fewer than 4 cores in proportion', () => {
    expect(paceFactor(gpu8)).toBe(1);
    expect(paceFactor({ ...wasm2, cores: 4 })).toBe(1);
    expect(paceFactor(wasm2)).toBe(2);
    expect(paceFactor(swiftshader2)).toBe(60);
    expect(budgets.token(swiftshader2)).toBe(60 * budgets.token(gpu8));
  });

  it('leave a wide margin over the speeds measured here (2 cores)', () => {
    // SmolLM2-135M on WASM: ~25 s to the first token of a 1,500-token prompt, then ~0.4 s a token; Qwen2.5-0.5B ~4×.
    expect(budgets.firstToken(wasm2, 1_500)).toBeGreaterThan(3 * 4 * 25_000);
    expect(budgets.token(wasm2)).toBeGreaterThan(10 * 4 * 400);
    // SmolLM2 on SwiftShader: ~12 s a token.
    expect(budgets.token(swiftshader2)).toBeGreaterThan(10 * 12_000);
    // A batch of 16 passages through the small encoders: 1–3 s.
    expect(budgets.batch(wasm2, 16)).toBeGreaterThan(10 * 3_000);
  });

  it('grow with the work: per prompt token and per text', () => {
    expect(budgets.firstToken(wasm2, 2_000)).toBeGreaterThan(budgets.firstToken(wasm2, 100));
    expect(budgets.batch(wasm2, 16)).toBeGreaterThan(budgets.batch(wasm2, 1));
  });

  it("give the search worker's index work a wide margin: Voy builds 100,000 passages in ~15 s on 2 cores", () => {
    expect(budgets.index(wasm2, 100_000)).toBeGreaterThan(10 * 15_000);
    expect(budgets.index(wasm2, 100_000)).toBeGreaterThan(budgets.index(wasm2, 1_000));
    expect(budgets.search(wasm2, 0, 100)).toBeGreaterThan(budgets.search(wasm2, 0, 10));
    expect(budgets.search(wasm2, 100_000, 100)).toBeGreaterThan(budgets.search(wasm2, 0, 100));
  });

  it("let the search worker wait on a model at least as long as that model's own longest silence", () => {
    for (const cores of [2, 8]) {
      const wait = budgets.peerWait(cores);
      expect(wait).toBeGreaterThanOrEqual(budgets.load(assumedPace('wasm', cores)));
      expect(wait).toBeGreaterThanOrEqual(budgets.batch(assumedPace('webgpu', cores), 1));
    }
  });

  it('assume the slowest GPU before a model has loaded on one', () => {
    expect(assumedPace('webgpu', 8)).toEqual({ device: 'webgpu', softwareGpu: true, cores: 8 });
    expect(assumedPace('wasm', 8).softwareGpu).toBe(false);
  });
});

// Detects what this browser can do (WebGPU, shader-f16, storage), once, and picks a device.
import { causeOf } from '../errors';
import type { Device } from './registry-types';

export interface Capabilities {
  webgpu: boolean;
  adapterName: string | null;
  shaderF16: boolean;
  storageQuotaMB: number | null;
  storageUsageMB: number | null;
  persistentStorage: boolean;
  /** Why WebGPU is or is not usable, in plain words. */
  webgpuNote: string;
}

export type DevicePreference = 'auto' | Device;

interface GpuLike {
  requestAdapter(): Promise<{
    features: { has(name: string): boolean };
    info?: { vendor?: string; architecture?: string; description?: string };
  } | null>;
}

let detected: Promise<Capabilities> | null = null;

export function detectCapabilities(): Promise<Capabilities> {
  detected ??= detect();
  return detected;
}

async function detect(): Promise<Capabilities> {
  const caps: Capabilities = {
    webgpu: false,
    adapterName: null,
    shaderF16: false,
    storageQuotaMB: null,
    storageUsageMB: null,
    persistentStorage: false,
    webgpuNote: 'This browser has no WebGPU.',
  };
  const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (gpu) {
    try {
      const adapter = await gpu.requestAdapter();
      if (adapter) {
        caps.webgpu = true;
        caps.shaderF16 = adapter.features.has('shader-f16');
        const info = adapter.info;
        caps.adapterName =
          [info?.vendor, info?.architecture || info?.description].filter(Boolean).join(' ') || 'unknown';
        caps.webgpuNote = `WebGPU adapter found (${caps.adapterName}${caps.shaderF16 ? ', shader-f16' : ', no shader-f16'}).`;
      } else {
        caps.webgpuNote = 'WebGPU is present but no adapter is available (no usable GPU).';
      }
    } catch (err) {
      caps.webgpuNote = `WebGPU failed to start: ${causeOf(err)}.`;
    }
  }
  try {
    const est = await navigator.storage?.estimate?.();
    if (est) {
      caps.storageQuotaMB = est.quota != null ? Math.round(est.quota / 1e6) : null;
      caps.storageUsageMB = est.usage != null ? Math.round(est.usage / 1e6) : null;
    }
    caps.persistentStorage = (await navigator.storage?.persisted?.()) ?? false;
  } catch {
    // Storage estimates are advisory; their absence changes nothing.
  }
  return caps;
}

export function chooseDevice(caps: Capabilities, preference: DevicePreference): { device: Device; reason: string } {
  if (preference === 'wasm') return { device: 'wasm', reason: 'WASM chosen in Settings.' };
  if (caps.webgpu) {
    return {
      device: 'webgpu',
      reason: preference === 'webgpu' ? 'WebGPU chosen in Settings.' : caps.webgpuNote,
    };
  }
  return {
    device: 'wasm',
    reason: `${caps.webgpuNote} Using WASM${preference === 'webgpu' ? ' although WebGPU was chosen in Settings' : ''}.`,
  };
}

// Compiles the hand-written WebAssembly kernels once each (null where WebAssembly SIMD is unavailable).

const compiled = new Map<string, WebAssembly.Module | null>();

/** The kernel compiled from its base64 bytes, or null where this engine cannot validate it (no SIMD). */
export function loadKernel(base64: string): WebAssembly.Module | null {
  let module = compiled.get(base64);
  if (module === undefined) {
    try {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      module = null;
    }
    compiled.set(base64, module);
  }
  return module;
}

/** A fresh instance of `module` on its own memory of at least `bytes` bytes. */
export function instantiate(
  module: WebAssembly.Module,
  bytes: number,
): { memory: WebAssembly.Memory; exports: WebAssembly.Exports } {
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65_536)) });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { memory, exports: instance.exports };
}

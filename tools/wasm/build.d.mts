// Types for tools/wasm/build.mjs, so the kernel test imports it checked.
export declare function compileKernel(name: string): Promise<string>;
export declare function kernelNames(): string[];

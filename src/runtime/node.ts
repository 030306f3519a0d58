// Node conveniences: find the built runtime modules next to the package.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Model, Target, loadModel } from './loader.js';
import { Bytes } from '../io/bytes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const compiled = new Map<Target, WebAssembly.Module>();

export function runtimePath(target: Target): string {
  return join(root, 'build', `edgepack-${target}.wasm`);
}

export function runtimeModule(target: Target): WebAssembly.Module {
  let m = compiled.get(target);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(runtimePath(target)));
    compiled.set(target, m);
  }
  return m;
}

/** Loads into a built module; the scalar build widens its GEMM weights (loadModel's wideGemm) unless `wideGemm` is false, the SIMD build transforms 3x3 filters (loadModel's winograd) unless `winograd` is false. */
export function loadModelNode(epk: Bytes, target: Target = 'simd', maxMemory?: number, wideGemm = true, winograd = true): Promise<Model> {
  return loadModel(runtimeModule(target), epk, maxMemory, wideGemm, winograd);
}

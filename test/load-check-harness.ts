// The harness the load-check tests share: every build loads an edited `.epk` (host memory limit
// out of the way, so the runtime's own checks answer) and must refuse it with the same error
// code and a message matching the same pattern -- never load it, never trap.

import * as assert from 'uvu/assert';
import { ErrorCode } from '../src/format/constants.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';

/** A host memory limit no test model reaches. */
export const BIG = 2 ** 40;

export type Loaded = { run(...inputs: Uint8Array[]): Uint8Array[] };

/** The three builds by name, each loading a `.epk`. */
export const builds: [string, (b: Uint8Array) => Promise<Loaded>][] = [
  ['simd', (b) => loadModelNode(b, 'simd', BIG)],
  ['scalar', (b) => loadModelNode(b, 'scalar', BIG)],
  ['streamed', (b) => loadModelStreamed(b, 0, streamedModule(), { maxMemory: BIG })],
];

/** Every build refuses `b` with RuntimeError `code` and a message matching `pattern`. */
export async function refusedEverywhere(b: Uint8Array, code: ErrorCode, pattern: RegExp): Promise<void> {
  for (const [name, load] of builds) {
    try {
      await load(b);
      assert.unreachable(`${name} loaded it`);
    } catch (err) {
      assert.instance(err, RuntimeError, `${name}: ${String(err)}`);
      assert.is((err as RuntimeError).code, code, `${name}: ${(err as Error).message}`);
      assert.match((err as Error).message, pattern, `${name}: ${(err as Error).message}`);
    }
  }
}

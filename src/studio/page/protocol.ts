// Messages between the studio page and its worker (worker.ts). Every request carries an
// id; the reply has the same id and either a result or `error`, worded as the CLI words it.

import type { CompressOptions } from '../../convert.js';
import type { Summary } from '../../inspect.js';
import type { FidelityReport } from '../../compress/report.js';
import type { Interval } from './memory-plan.js';
import type { Board } from '../../fit.js';
import type { BoardFit } from './board-fit.js';

/** A calibration file for float models (raw float32 or u8 samples, as `convert --calibrate FILE`). */
export interface Calibration { name: string; bytes: Uint8Array }

/** Converts a .tflite/.onnx (with compression options) or reads an .epk. */
export interface OpenRequest { kind: 'open'; name: string; bytes: Uint8Array; compress: CompressOptions; calibration?: Calibration }
export interface OpenResult { epk: Uint8Array; summary: Summary; intervals: Interval[]; converted: boolean; ms: number }

/** Compressed .epk against the same model converted plainly (src/compress/report.ts). */
export interface FidelityRequest { kind: 'fidelity'; name: string; source: Uint8Array; epk: Uint8Array; calibration?: Calibration }
export interface FidelityResult { report: FidelityReport; text: string }

/**
 * A single-input model run in each build over `input`: N whole input tensors back to back,
 * as `edgepack run --input` takes them; latency is the median of repeated first inferences.
 */
export interface RunRequest { kind: 'run'; epk: Uint8Array; input: Uint8Array }
export interface BuildRun {
  target: 'simd' | 'scalar' | 'streamed';
  /** What `run --output` writes: every inference's outputs in model order, back to back. */
  bytes: Uint8Array;
  /** The first inference's outputs, one array per model output. */
  first: Uint8Array[];
  inferences: number;
  medianMs: number;
  runs: number;
}
export interface RunResult { builds: BuildRun[] }

/** RAM and flash on each board, as `edgepack fit` measures them (board-fit.ts). */
export interface FitRequest { kind: 'fit'; epk: Uint8Array; boards: Board[] }
export interface FitResult { fits: BoardFit[] }

export type Request = OpenRequest | FidelityRequest | RunRequest | FitRequest;
export interface Reply { id: number; result?: unknown; error?: string }

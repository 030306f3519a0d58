// Measures one model's Cortex-M4F firmware under QEMU: instructions per inference, flash,
// RAM, and whether every embedded golden case came out byte-identical to TFLM's output.

import { join } from 'node:path';
import { convertModel } from '../../src/convert.js';
import { Mode, buildModelFirmware, hex, runFirmware, sectionSizes } from './build.js';
import { goldenModels, readBytes } from '../../test/helpers.js';

export interface McuFigures {
  instructions: number;
  flashBytes: number;
  ramBytes: number;
  exact: boolean;
  mode: Mode;
  linearMemoryBytes: number;
  stageBytes: number;
  stackPeakBytes: number;
  modelBytes: number;
  codeBytes: number; // flash without the .epk
  casesChecked: number;
  calibration: number; // counter around a 100,000,000-instruction loop (spans SysTick wraps): checks the method
  opInstructions?: number[]; // --profile: per op of the measured invoke
  epk?: Uint8Array;
  tflmRefInstructions?: number;
  tflmCmsisInstructions?: number;
}

export async function measureModel(name: string, mode: Mode, caseLimit = Infinity, profile = false): Promise<McuFigures> {
  const g = goldenModels().find((m) => m.name === name);
  if (!g) throw new Error(`no golden model ${name} in ../shared/golden`);
  const { epk } = convertModel(readBytes(g.modelPath), g.name);
  const cases = g.manifest.cases.slice(0, caseLimit);
  const measureCase = Math.max(0, cases.findIndex((c) => c.input === 'input_rand_0.bin'));
  const fw = await buildModelFirmware(g.name, 'm4', mode, epk, cases.map((c) => readBytes(join(g.dir, c.input))), measureCase, profile);
  const run = runFirmware(fw.elf, 'm4');
  const exact = cases.every((c, k) => run.outputs[k] === hex(readBytes(join(g.dir, c.output))));
  const size = sectionSizes(fw.elf, epk.length, fw.linearMemoryBytes);
  const tflm = g.manifest.cortex_m4_qemu;
  return {
    instructions: run.instructions,
    flashBytes: size.flashBytes,
    ramBytes: size.ramBytes,
    exact,
    mode,
    linearMemoryBytes: run.memoryBytes,
    stageBytes: fw.stageBytes,
    stackPeakBytes: run.stackBytes,
    modelBytes: epk.length,
    codeBytes: size.flashBytes - epk.length,
    casesChecked: cases.length,
    calibration: run.calibration,
    ...(profile ? { opInstructions: run.opInstructions, epk } : {}),
    tflmRefInstructions: tflm?.ref?.invoke_instructions,
    tflmCmsisInstructions: tflm?.cmsis?.invoke_instructions,
  };
}

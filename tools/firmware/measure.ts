// Measures one model's Cortex-M4F firmware under QEMU: instructions per inference, flash,
// RAM, and whether every embedded golden case came out byte-identical to TFLM's output;
// beside TFLM's figures for the same board (../shared/golden/*/manifest.json cortex_m4_qemu):
//   TFLM RAM        = arena_used_bytes_m4 + size_data + size_bss_excluding_arena (its stack not counted)
//   TFLM code flash = text_excluding_model_data + size_data

import { join } from 'node:path';
import { convertModel } from '../../src/convert.js';
import { kernelNames } from '../../src/format/kernels.js';
import { Mode, buildModelFirmware, hex, runFirmware, sectionSizes } from './build.js';
import { goldenModels, readBytes } from '../../test/helpers.js';

/** TFLM's image for one model and kernel set, from the golden manifest. */
export interface TflmFigures {
  instructions: number;
  ramBytes: number;
  codeBytes: number;
}

export interface McuFigures {
  instructions: number;
  flashBytes: number;
  ramBytes: number; // .data + .bss (linear memory included) + reserved stack, from the ELF
  plannedRamBytes: number; // the same, stated before building (src/runtime/firmware.ts firmwareRam)
  hostRamBytes: number; // .data + .bss besides the linear memory
  stackBytes: number; // reserved
  exact: boolean;
  mode: Mode;
  modelSpecific: boolean; // runtime built with only the model's kernels
  kernels: string[]; // kernel variants linked (src/format/kernels.ts), 'all' for the default build
  linearMemoryBytes: number; // backed (exact bytes), as the image reports it
  plannedLinearMemoryBytes: number; // the Node loader's high-water mark for the same module
  linearMemoryUsedBytes: number; // the runtime's high-water mark in the image
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
  tflmRef?: TflmFigures;
  tflmCmsis?: TflmFigures;
  /** edgepack / TFLM: RAM and code flash against the reference and CMSIS-NN images. */
  ratios?: { ramVsRef?: number; ramVsCmsis?: number; codeVsRef?: number; codeVsCmsis?: number };
}

interface TflmBuild {
  invoke_instructions: number; arena_used_bytes_m4: number; size_data: number;
  size_bss_excluding_arena: number; text_excluding_model_data: number;
}

function tflmFigures(b: Partial<TflmBuild> | undefined): TflmFigures | undefined {
  if (!b || b.arena_used_bytes_m4 === undefined || b.text_excluding_model_data === undefined) return undefined;
  return {
    instructions: b.invoke_instructions ?? 0,
    ramBytes: b.arena_used_bytes_m4 + (b.size_data ?? 0) + (b.size_bss_excluding_arena ?? 0),
    codeBytes: b.text_excluding_model_data + (b.size_data ?? 0),
  };
}

export async function measureModel(
  name: string, mode: Mode, caseLimit = Infinity, profile = false, modelSpecific = false,
): Promise<McuFigures> {
  const g = goldenModels().find((m) => m.name === name);
  if (!g) throw new Error(`no golden model ${name} in ../shared/golden`);
  const { epk } = convertModel(readBytes(g.modelPath), g.name);
  const cases = g.manifest.cases.slice(0, caseLimit);
  const measureCase = Math.max(0, cases.findIndex((c) => c.input === 'input_rand_0.bin'));
  const fw = await buildModelFirmware(g.name, 'm4', mode, epk, cases.map((c) => readBytes(join(g.dir, c.input))), measureCase, profile, modelSpecific);
  const run = runFirmware(fw.elf, 'm4');
  const exact = cases.every((c, k) => run.outputs[k] === hex(readBytes(join(g.dir, c.output))));
  const size = sectionSizes(fw.elf, epk.length);
  const tflm = g.manifest.cortex_m4_qemu as { ref?: Partial<TflmBuild>; cmsis?: Partial<TflmBuild> } | undefined;
  const ref = tflmFigures(tflm?.ref), cmsis = tflmFigures(tflm?.cmsis);
  const ratio = (a: number, b?: number) => (b ? Math.round((a / b) * 1000) / 1000 : undefined);
  return {
    instructions: run.instructions,
    flashBytes: size.flashBytes,
    ramBytes: size.ramBytes,
    plannedRamBytes: fw.plannedRamBytes,
    hostRamBytes: size.hostRamBytes,
    stackBytes: size.stackBytes,
    exact,
    mode,
    modelSpecific,
    kernels: modelSpecific ? kernelNames(fw.kernelMask) : ['all'],
    linearMemoryBytes: run.memoryBytes,
    plannedLinearMemoryBytes: fw.linearMemoryBytes,
    linearMemoryUsedBytes: run.memoryUsedBytes,
    stageBytes: fw.stageBytes,
    stackPeakBytes: run.stackBytes,
    modelBytes: epk.length,
    codeBytes: size.codeBytes,
    casesChecked: cases.length,
    calibration: run.calibration,
    ...(profile ? { opInstructions: run.opInstructions, epk } : {}),
    tflmRefInstructions: tflm?.ref?.invoke_instructions,
    tflmCmsisInstructions: tflm?.cmsis?.invoke_instructions,
    tflmRef: ref,
    tflmCmsis: cmsis,
    ratios: {
      ramVsRef: ratio(size.ramBytes, ref?.ramBytes), ramVsCmsis: ratio(size.ramBytes, cmsis?.ramBytes),
      codeVsRef: ratio(size.codeBytes, ref?.codeBytes), codeVsCmsis: ratio(size.codeBytes, cmsis?.codeBytes),
    },
  };
}

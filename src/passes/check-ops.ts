// check-ops: runs on the imported graph, before any pass or graph check. Matches ops that
// no pass and no kernel of edgepack handles: custom ops, builtins without a kernel, int16
// activations (the 16x8 scheme) outside the ops with an int16 prepare, and variable tensors used other than as an SVDF's or LSTM's state. Emits nothing; guarantees that such a model fails
// with one line naming the op, its index and the tensor at fault, not with a graph
// inconsistency found later (an LSTM's state tensor "read before it is produced").

import { ConvertError, Graph, Op } from '../ir/graph.js';
import { FLOAT_KERNELS } from '../float/interpret.js';
import { SUPPORTED_OPS } from './prepare-kernels.js';
import { LOWERED_OPS } from './lower-slices.js';
import { PREPARE_S16, int16Prepare } from './prepare/int16.js';
import { FLOAT32_ONLY } from './prepare/float-b.js';

/** Op types some pass rewrites or some kernel runs: prepare-kernels', lower-slices', the float reference's (float models), CAST (strip). */
const KNOWN_OPS = new Set([...SUPPORTED_OPS, ...LOWERED_OPS, ...Object.keys(FLOAT_KERNELS), ...FLOAT32_ONLY, 'CAST']);

const CUSTOM = 'CUSTOM:';

export function checkOps(g: Graph): void {
  const produced = new Set<number>(g.inputs);
  for (const op of g.ops) {
    const problem = customProblem(op) ?? unsupportedProblem(g, op, produced) ?? stateProblem(g, op) ?? unflaggedStateProblem(g, op, produced) ?? int16Problem(g, op);
    if (problem) throw new ConvertError(`${g.source}: op ${op.sourceIndex} (${op.type})${problem}`);
    for (const t of op.outputs) produced.add(t);
  }
  ioStateProblem(g);
}

/** A variable tensor listed as a model input or output: state lives inside the model only. */
function ioStateProblem(g: Graph): void {
  const io = [...g.inputs.map((t) => ['input', t] as const), ...g.outputs.map((t) => ['output', t] as const)];
  const hit = io.find(([, t]) => t >= 0 && t < g.tensors.length && g.tensors[t].variable);
  if (hit) throw new ConvertError(`${g.source}: tensor ${hit[1]} "${g.tensors[hit[1]].name}" is a model ${hit[0]} and a variable (state) tensor; edgepack keeps state inside the model only`);
}

function customProblem(op: Op): string | undefined {
  if (!op.type.startsWith(CUSTOM)) return undefined;
  const code = op.type.slice(CUSTOM.length);
  return ` is the custom op "${code}", which is outside edgepack: it runs TFLite builtin ops only (a custom op needs the runtime it was written for, e.g. an NPU's driver)`;
}

function unsupportedProblem(g: Graph, op: Op, produced: Set<number>): string | undefined {
  if (KNOWN_OPS.has(op.type)) return undefined;
  // State an op keeps across invokes: flagged variable, or neither constant, graph input nor produced before.
  const state = op.inputs.filter((t) => t >= 0 && t < g.tensors.length && (g.tensors[t].variable || (!g.tensors[t].data && !produced.has(t))));
  const names = [...new Set(state)].map((t) => `${t} "${g.tensors[t].name}"`);
  const stateNote = names.length
    ? `; its variable tensor${names.length > 1 ? 's' : ''} ${names.join(', ')} would hold state across invokes (edgepack keeps state for SVDF and LSTM only)`
    : '';
  return ` is not supported${stateNote}; supported ops: ${[...SUPPORTED_OPS, ...LOWERED_OPS].join(', ')}`;
}

/** Input slots that hold state, by op type: SVDF's state; LSTM's hidden and cell state. */
const STATE_SLOTS: Record<string, number[]> = { SVDF: [4], UNIDIRECTIONAL_SEQUENCE_LSTM: [18, 19] };

function isStateSlot(op: Op, k: number): boolean {
  return STATE_SLOTS[op.type]?.includes(k) ?? false;
}

/** A variable tensor read or written by anything but a state slot: the runtime keeps state for SVDF and LSTM only. */
function stateProblem(g: Graph, op: Op): string | undefined {
  const t = [...op.inputs, ...op.outputs].find((i, k) => i >= 0 && i < g.tensors.length && g.tensors[i].variable && !isStateSlot(op, k));
  if (t === undefined) return undefined;
  return `: uses variable tensor ${t} "${g.tensors[t].name}" other than as an SVDF's state (input 4) or an LSTM's hidden and cell state (inputs 18, 19); edgepack keeps state for those only`;
}

/** A state slot holding a tensor that is neither variable, constant nor produced: read before anything writes it. */
function unflaggedStateProblem(g: Graph, op: Op, produced: Set<number>): string | undefined {
  const k = (STATE_SLOTS[op.type] ?? []).find((s) => {
    const t = op.inputs[s];
    return t >= 0 && t < g.tensors.length && !g.tensors[t].variable && !g.tensors[t].data && !produced.has(t);
  });
  if (k === undefined) return undefined;
  return `: state "${g.tensors[op.inputs[k]].name}" must be a variable tensor (is_variable, no buffer; input ${k})`;
}

function int16Problem(g: Graph, op: Op): string | undefined {
  // SVDF's int16 state (input 4) and LSTM's int16 cell state (input 19) are not activations
  // (their kernels: int8 in and out); prepare checks that they are variable tensors.
  const isState = (i: number) => op.inputs.some((t, k) => t === i && isStateSlot(op, k));
  const t = [...op.inputs, ...op.outputs].find((i) => i >= 0 && i < g.tensors.length && g.tensors[i].dtype === 'int16' && !g.tensors[i].data && !isState(i));
  if (t === undefined || int16Prepare(g, op)) return undefined; // a 16x8 op: its prepare checks every dtype
  return `: tensor ${t} "${g.tensors[t].name}" holds int16 activations; int16 (16x8) activations are supported as the input of ${Object.keys(PREPARE_S16).join(', ')} only`;
}

// edgepack's public API: convert a model, inspect an .epk, load and run it.

export { convertModel, convertGraph, importModel } from './convert.js';
export type { ConvertOptions, ConvertResult } from './convert.js';
export { readEpk, EpkError } from './format/reader.js';
export { summarize, formatSummary } from './inspect.js';
export type { Summary } from './inspect.js';
export { load, loadModel, Model, RuntimeError, DEFAULT_MAX_MEMORY } from './runtime/loader.js';
export { toBytes } from './io/bytes.js';
export type { Bytes } from './io/bytes.js';
export type { LoadOptions, Target } from './runtime/loader.js';
export { ConvertError } from './ir/graph.js';

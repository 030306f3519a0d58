// The memory plan of an .epk as a picture: each arena tensor a rectangle from the op that
// first touches it to the op that last reads it (time across), at its arena offset (down).
// Graph inputs live from op 0, graph outputs to the last op. The peak is the op at which
// the live tensors reach furthest into the arena.

import { TensorKind } from '../../format/constants.js';
import type { Epk } from '../../format/reader.js';

export interface Interval {
  tensor: number;
  name: string;
  shape: number[];
  offset: number;
  bytes: number;
  first: number; // op index
  last: number; // op index, inclusive
}

/** Lifetimes of every arena tensor an op reads or writes. */
export function planIntervals(epk: Epk): Interval[] {
  const span = new Map<number, [number, number]>();
  const touch = (t: number, op: number) => {
    const s = span.get(t);
    span.set(t, s ? [Math.min(s[0], op), Math.max(s[1], op)] : [op, op]);
  };
  epk.ops.forEach((op, i) => [...op.inputs, ...op.outputs].forEach((t) => {
    if (epk.tensors[t]?.kind === TensorKind.Arena) touch(t, i);
  }));
  const lastOp = Math.max(0, epk.ops.length - 1);
  for (const t of epk.inputs) touch(t, 0);
  for (const t of epk.outputs) touch(t, lastOp);
  return [...span].map(([t, [first, last]]) => {
    const x = epk.tensors[t];
    return { tensor: t, name: x.name || `tensor ${t}`, shape: x.shape, offset: x.offset, bytes: x.bytes, first, last };
  }).sort((a, b) => a.first - b.first || a.offset - b.offset);
}

/** The op index at which live tensors reach furthest into the arena, and that extent. */
export function peakOf(intervals: Interval[], ops: number): { op: number; extent: number } {
  let peak = { op: 0, extent: 0 };
  for (let op = 0; op < ops; op++) {
    const extent = intervals.filter((iv) => iv.first <= op && op <= iv.last).reduce((a, iv) => Math.max(a, iv.offset + iv.bytes), 0);
    if (extent > peak.extent) peak = { op, extent };
  }
  return peak;
}

const SVG = 'http://www.w3.org/2000/svg';

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface PlanPicture { intervals: Interval[]; ops: number; arenaBytes: number; tflmBytes?: number }

/** The SVG: one <rect class="tensor"> per interval, a peak marker, the arena (and TFLM) lines. */
export function drawMemoryPlan(p: PlanPicture, width = 1180, height = 250): SVGSVGElement {
  const left = 70, top = 18, right = 150, bottom = 28;
  const w = width - left - right, h = height - top - bottom;
  const scaleBytes = Math.max(p.arenaBytes, p.tflmBytes ?? 0, 1);
  const x = (op: number) => left + (op / Math.max(p.ops, 1)) * w;
  const y = (bytes: number) => top + (bytes / scaleBytes) * h;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', id: 'memory-plan-svg' }) as SVGSVGElement;
  svg.append(el('title', {}, `Memory plan: ${p.intervals.length} activation tensors over ${p.ops} ops; arena ${p.arenaBytes} bytes`));
  svg.append(el('rect', { x: left, y: top, width: w, height: y(p.arenaBytes) - top, class: 'arena' }));
  p.intervals.forEach((iv, i) => {
    const r = el('rect', {
      x: x(iv.first), y: y(iv.offset), width: Math.max(1, x(iv.last + 1) - x(iv.first)), height: Math.max(1, y(iv.offset + iv.bytes) - y(iv.offset)),
      class: 'tensor', fill: `hsl(${(i * 47) % 360} 60% 62%)`,
    });
    r.append(el('title', {}, `${iv.name} [${iv.shape.join('x')}]: offset ${iv.offset}, ${iv.bytes} B, ops ${iv.first}..${iv.last}`));
    svg.append(r);
  });
  const peak = peakOf(p.intervals, p.ops);
  const px = x(peak.op + 0.5);
  svg.append(el('line', { x1: px, x2: px, y1: top - 2, y2: y(peak.extent), class: 'peak' }));
  svg.append(el('text', { x: px + 4, y: top - 4, class: 'peak-label' }, `peak at op ${peak.op}: ${peak.extent} B`));
  svg.append(el('line', { x1: left, x2: left + w + 6, y1: y(p.arenaBytes), y2: y(p.arenaBytes), class: 'arena-line' }));
  svg.append(el('text', { x: left + w + 10, y: y(p.arenaBytes) + 4, class: 'axis' }, `arena ${p.arenaBytes} B`));
  if (p.tflmBytes) {
    svg.append(el('line', { x1: left, x2: left + w + 6, y1: y(p.tflmBytes), y2: y(p.tflmBytes), class: 'tflm-line' }));
    svg.append(el('text', { x: left + w + 10, y: y(p.tflmBytes) + 4, class: 'axis' }, `TFLM ${p.tflmBytes} B`));
  }
  svg.append(el('text', { x: left, y: height - 8, class: 'axis' }, 'op 0'));
  svg.append(el('text', { x: left + w, y: height - 8, class: 'axis', 'text-anchor': 'end' }, `op ${p.ops - 1} (time across)`));
  svg.append(el('text', { x: 4, y: top + 10, class: 'axis' }, 'offset 0'));
  svg.append(el('text', { x: 4, y: top + h, class: 'axis' }, `${scaleBytes} B`));
  return svg;
}

// A packed CONV_2D's weight rows are padded from K to K8 (a multiple of 8) with zeros by the
// converter; an edited file may hold any value there. The kernels must still agree: every
// build multiplies those padding weights by zero input bytes (im2col's zeroed tail, and the
// SIMD build's 3x3-over-3-channel patch masks its last 5 bytes), so simd, scalar and streamed
// give the same bytes, the ones of the unedited file. Found by the fuzzer (an edited .epk).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { crc32 } from '../src/format/crc32.js';
import { H, OpCode, Section } from '../src/format/constants.js';
import { readEpk } from '../src/format/reader.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { builds, bytes } from './stream-harness.js';
import { rng } from './tflm-oracle.js';

/** A 3x3 conv over 3 channels (K 27, K8 32), stride 1 or 2, SAME: inside pixels take the SIMD build's patch path. */
function rgbConv(r: () => number, stride: number, oc: number): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 9, 9, 3], 'int8', { scale: [0.02], zeroPoint: [-3] });
  const w = b.constant('w', [oc, 3, 3, 3], 'int8', Array.from({ length: oc * 27 }, () => Math.floor(r() * 255) - 127), { scale: Array(oc).fill(0.01), zeroPoint: Array(oc).fill(0), axis: 0 });
  const bias = b.constant('b', [oc], 'int32', Array.from({ length: oc }, () => Math.floor(r() * 2000) - 1000), { scale: Array(oc).fill(0.0002), zeroPoint: Array(oc).fill(0) });
  const side = Math.ceil(9 / stride);
  const y = b.tensor('y', [1, side, side, oc], 'int8', { scale: [0.05], zeroPoint: [3] });
  b.op('CONV_2D', [x, w, bias], [y], { padding: 'SAME', strideH: stride, strideW: stride, activation: 'NONE' });
  b.io([x], [y]);
  return b.finish();
}

test('packed CONV_2D with non-zero K8 padding weights (an edited file): simd == scalar == streamed == the unedited file', async () => {
  const r = rng(9090);
  for (const [stride, oc] of [[1, 8], [2, 5], [1, 3]]) {
    const epk = convertModel(rgbConv(r, stride, oc), 'rgb.tflite', { log: () => {} }).epk;
    const e = readEpk(epk);
    const op = e.ops.find((o) => o.opcode === OpCode.Conv2D)!;
    const w = e.tensors[op.inputs[1]];
    const data = e.sections.find((s) => s.kind === Section.Data)!.offset + w.offset;
    // packed [oc4/4][K8/8][4][8]: K 27..31 are bytes 3..7 of each channel's row in slice 3
    const edited = epk.slice();
    const oc4 = Math.ceil(oc / 4) * 4;
    for (let o = 0; o < oc4; o++) for (let k = 27; k < 32; k++) edited[data + ((Math.floor(o / 4) * 4 + 3) * 4 + (o % 4)) * 8 + (k - 24)] = 0x55 + k;
    new DataView(edited.buffer).setUint32(H.crc32, crc32(edited, 16), true);
    assert.not.equal(Array.from(edited), Array.from(epk), 'the edit changed the file');
    const x = Uint8Array.from({ length: 9 * 9 * 3 }, () => Math.floor(r() * 256));
    const [[, plain]] = await builds(epk);
    const want = bytes(plain.run(x));
    for (const [build, m] of await builds(edited)) assert.equal(bytes(m.run(x)), want, `stride ${stride}, ${oc} channels, ${build}`);
  }
});

test.run();

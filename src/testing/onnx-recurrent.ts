// ONNX recurrent models built in code: a fuzz seed (tools/fuzz.ts, --target onnx) with a
// bidirectional LSTM whose Y feeds a forward LSTM, Y and Y_h both graph outputs.

import { mulberry32 } from '../float/calibrate.js';
import { OnnxBuilder } from './onnx-builder.js';

/** x [T 4, B 2, I 3] -> LSTM bidirectional (H 3) -> reshape [4, 2, 6] -> LSTM forward (H 2) -> Y, Y_h. */
export function onnxLstmNet(seed = 5): Uint8Array {
  const r = mulberry32(seed);
  const u = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const T = 4, B = 2, I = 3, H1 = 3, H2 = 2;
  const o = new OnnxBuilder();
  const x = o.input('x', [T, B, I]);
  const y1 = o.node('LSTM', [x, o.init([2, 4 * H1, I], u(2 * 4 * H1 * I, 0.6)), o.init([2, 4 * H1, H1], u(2 * 4 * H1 * H1, 0.6)), o.init([2, 8 * H1], u(2 * 8 * H1, 0.3))], { hidden_size: H1, direction: 'bidirectional' });
  // Y [T, 2, B, H1] -> [T, B, 2 * H1]: directions next to each other per batch row
  const moved = o.node('Transpose', [y1], { perm: [0, 2, 1, 3] });
  const flat = o.node('Reshape', [moved, o.ints([T, B, 2 * H1])]);
  const y2 = o.node('LSTM', [flat, o.init([1, 4 * H2, 2 * H1], u(4 * H2 * 2 * H1, 0.6)), o.init([1, 4 * H2, H2], u(4 * H2 * H2, 0.6))], { hidden_size: H2 }, 2);
  o.output(y2, [T, 1, B, H2]);
  o.output(`lstm_${Number(y2.split('_')[1]) + 1}`, [1, B, H2]);
  return o.build();
}

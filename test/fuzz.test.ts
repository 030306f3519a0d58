// A short run of the fuzz harness (tools/fuzz.ts; `npm run fuzz -- --seconds N` for long
// ones): every class is counted, every finding has a reproducer, and the converter side
// (.tflite/.onnx mutants) gives no raw exception or trap. Runtime-side .epk findings
// are reported, not asserted here (docs/FUZZ.md lists them).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTCOMES, formatReport, fuzz, mutate, sameOutput } from '../tools/fuzz.js';
import { H } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { convertModel } from '../src/convert.js';
import { buildTinyCnn, xorshift32 } from '../src/testing/models.js';

test('epk mutants keep a valid CRC when field-aware', () => {
  const epk = convertModel(buildTinyCnn(), 'tiny').epk;
  const next = xorshift32(5);
  let resealed = 0;
  for (let i = 0; i < 200; i++) {
    const m = mutate('epk', epk, next);
    if (m.length >= 32 && new DataView(m.buffer).getUint32(H.crc32, true) === crc32(m, 16)) resealed++;
  }
  assert.ok(resealed > 120, `${resealed} of 200 resealed`);
});

test('a 20-second run: counted, reproduced, no converter-side raw exception or trap', async () => {
  const out = mkdtempSync(join(tmpdir(), 'edgepack-fuzz-'));
  const rep = await fuzz({ seconds: 20, out, seed: 13 });
  console.log(`  ${formatReport(rep).replace(/\n/g, '\n  ')}`);
  assert.ok(rep.mutants > 20, `${rep.mutants} mutants`);
  for (const [target, c] of Object.entries(rep.counts)) {
    assert.ok(OUTCOMES.reduce((a, o) => a + c[o], 0) > 0, target);
  }
  for (const f of rep.findings) {
    assert.ok(existsSync(f.file) && readFileSync(`${f.file}.txt`, 'utf8').length > 0, f.file);
  }
  for (const t of ['tflite', 'onnx'] as const) {
    const c = rep.counts[t];
    // hangs are reported, not asserted: on a loaded CI machine a legitimate conversion can pass 5 s
    assert.is(c.raw + c.trap, 0, `${t}: ${JSON.stringify(rep.findings.filter((f) => f.target === t))}`);
  }
});

test('builds agree on a float32 output when every value is equal or both are NaN (any sign or payload), never on an int8 one', () => {
  const f = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
  const nan = (bits: number) => new Uint8Array(Uint32Array.of(bits).buffer);
  const cat = (...p: Uint8Array[]) => Uint8Array.from(p.flatMap((x) => Array.from(x)));
  assert.ok(sameOutput(cat(f(1.5), nan(0x7fffffff)), cat(f(1.5), nan(0xffc00000)), true));
  assert.not.ok(sameOutput(cat(f(1.5), nan(0x7fffffff)), cat(f(1.5), nan(0xffc00000)), false), 'int8 bytes compare as bytes');
  assert.not.ok(sameOutput(f(1.5, 2), f(1.5, 2.0000002), true));
  assert.not.ok(sameOutput(f(0), f(-0), true), '+0 and -0 differ');
  assert.not.ok(sameOutput(f(1), nan(0x7fc00000), true));
});

test.run();

// Prints, per shared model: .epk bytes vs .tflite bytes, arena bytes vs TFLM's arena,
// and whether both builds match the golden outputs. `node dist/tools/core-report.js [--json]`

import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';
import { goldenModels, readBytes } from '../test/helpers.js';

const rows = [];
for (const g of goldenModels()) {
  const tflite = readBytes(g.modelPath);
  const { epk, plan } = convertModel(tflite, g.name);
  let exact = true;
  for (const target of ['scalar', 'simd'] as const) {
    const m = await loadModelNode(epk, target);
    for (const c of g.manifest.cases) {
      const [out] = m.run(readBytes(join(g.dir, c.input)));
      const want = readBytes(join(g.dir, c.output));
      if (!out.every((b, i) => b === want[i])) exact = false;
    }
  }
  rows.push({
    model: g.name,
    tfliteBytes: tflite.length,
    epkBytes: epk.length,
    arenaBytes: plan.arenaBytes,
    tflmArenaM4: g.manifest.cortex_m4_qemu?.ref?.arena_used_bytes_m4 ?? null,
    tflmArenaX86: g.manifest.arena_used_bytes_x86_64,
    cases: g.manifest.cases.length,
    exact,
  });
}
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log('| model | .tflite B | .epk B | epk/tflite | arena B | TFLM arena B (M4) | arena/TFLM | golden cases | bit-exact (scalar+simd) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.tfliteBytes} | ${r.epkBytes} | ${(r.epkBytes / r.tfliteBytes).toFixed(3)} | ${r.arenaBytes} | ${r.tflmArenaM4} | ${r.tflmArenaM4 ? (r.arenaBytes / r.tflmArenaM4).toFixed(3) : '-'} | ${r.cases} | ${r.exact ? 'yes' : 'NO'} |`);
  }
}

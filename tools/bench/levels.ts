// The machine's speed level over time: one model's SIMD inference timed without pause, the
// median of every half second printed in order. On the shared 2-vCPU machine of docs/speed.md
// the medians jump between levels about 1.6x apart every 0.5-3 s, in one process and on one
// pinned CPU alike, which is why the bench interleaves its tasks (index.ts timeTasks).
//
//   node dist/tools/bench/levels.js [--model NAME] [--seconds S] [--peer]
//
// --peer times TFLite's runtime (tfjs-tflite, the bench's peer) in the same way after ours.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_MODELS } from './paths.js';
import { convert, load, median } from './edgepack.js';
import { loadPeerModel } from './peer-tflite.js';

interface Args { model: string; seconds: number; peer: boolean }

function parse(argv: string[]): Args {
  const a: Args = { model: 'ic_resnet8_int8', seconds: 15, peer: false };
  for (let i = 0; i < argv.length; i++) {
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    if (argv[i] === '--model') a.model = v();
    else if (argv[i] === '--seconds') a.seconds = Math.max(1, Number(v()));
    else if (argv[i] === '--peer') a.peer = true;
    else throw new Error(`unknown option ${argv[i]}; usage: levels.js [--model NAME] [--seconds S] [--peer]`);
  }
  return a;
}

/** Half-second medians of run() over `seconds`, in ms. */
function levels(run: () => void, seconds: number): number[] {
  const out: number[] = [];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const samples: number[] = [];
    const t1 = performance.now();
    while (performance.now() - t1 < 500) {
      const t = performance.now();
      run();
      samples.push(performance.now() - t);
    }
    out.push(median(samples));
  }
  return out;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const tflite = new Uint8Array(readFileSync(join(SHARED_MODELS, `${args.model}.tflite`)));
  const simd = await load(convert(tflite, `${args.model}.tflite`).epk, 'simd');
  const input = new Uint8Array(simd.inputBytes(0));
  const show = (name: string, v: number[]) => console.log(`${name}: ${v.map((x) => x.toFixed(3)).join(' ')} ms (max/min ${(Math.max(...v) / Math.min(...v)).toFixed(2)})`);
  show(`${args.model} edgepack simd, half-second medians`, levels(() => void simd.run(input), args.seconds));
  if (args.peer) {
    const peer = await loadPeerModel(tflite);
    show(`${args.model} tflite-wasm, half-second medians`, levels(() => void peer.run(input), args.seconds));
  }
}

main().catch((e) => { console.error((e as Error).message); process.exit(1); });

// Writes assembly/kernel-table.ts from src/format/kernels.ts KERNEL_VARIANTS:
//   npm run build:ts && node dist/tools/gen-kernel-table.js
// test/kernel-table.test.ts fails while the checked-in file differs from what this writes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelTableSource } from '../src/format/kernels.js';
import { REPO } from './firmware/build.js';

const out = join(REPO, 'assembly', 'kernel-table.ts');
writeFileSync(out, kernelTableSource());
console.log(`wrote ${out}`);

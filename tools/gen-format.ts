// Writes assembly/format.ts from src/format/constants.ts (rules: src/format/assembly-format.ts):
//   npm run build:ts && node dist/tools/gen-format.js
// test/format.test.ts fails while the checked-in file differs from what this writes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSource } from '../src/format/assembly-format.js';
import { REPO } from './firmware/build.js';

const out = join(REPO, 'assembly', 'format.ts');
writeFileSync(out, formatSource());
console.log(`wrote ${out}`);

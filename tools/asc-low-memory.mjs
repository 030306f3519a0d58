// AssemblyScript transform for the builds that start their static data at byte 16
// (`--memoryBase 16` for the scalar and streamed targets in package.json) instead of the
// default 1024: statics are RAM on a device, so 1 KiB less of them.
//
// An explicit memoryBase makes asc switch off Binaryen's `lowMemoryUnused`, which lets
// the optimizer fold `load(x + C)` (C < 1024) into `load offset=C (x)`; without it the
// streamed firmware ran 0.4% more instructions (kws_dscnn_int8 on the M4). This turns it
// back on. Binaryen's premise is that no access reaches the low 1 KiB by wrapping an i32
// sum past 2^32: the two forms differ only when x + C wraps, and then the folded one
// traps instead of touching bytes 0..C. The runtime forms every address as a base plus a
// validated offset below the memory size (at most 0xffff0000, index.ts ensureMemory), so
// nothing wraps; if something did, a trap is the safer outcome.

import binaryen from 'binaryen'; // the instance asc itself uses (assemblyscript's dependency)
import { Transform } from 'assemblyscript/transform';

export default class LowMemoryUnused extends Transform {
  afterCompile() {
    binaryen.setLowMemoryUnused(true); // read by module.optimize(), which runs after this hook
  }
}

import { parseArgs } from 'node:util';
import { basename, extname } from 'node:path';
import { startStudio } from '../studio/server.js';
import { UsageError, readInput } from './io.js';

export const usage = 'edgepack studio [MODEL.(tflite|onnx|epk)] [--port N]';

const MODEL_EXTENSIONS = ['.tflite', '.onnx', '.epk'];

function portFlag(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be a whole number 0..65535 (0: any free port), not ${v}`);
  return n;
}

/** Serves the studio page on 127.0.0.1, prints its URL, and runs until SIGINT/SIGTERM. */
export async function studioCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { port: { type: 'string', short: 'p' } } });
  if (positionals.length > 1) throw new UsageError(`usage: ${usage}`);
  const port = portFlag(values.port);
  let model: { bytes: Uint8Array; name: string } | undefined;
  if (positionals.length === 1) {
    const path = positionals[0];
    if (!MODEL_EXTENSIONS.includes(extname(path).toLowerCase())) {
      throw new UsageError(`${path}: the studio opens .tflite, .onnx or .epk files`);
    }
    model = { bytes: readInput(path, 'model'), name: basename(path) };
  }
  const studio = await startStudio({ model, port }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'EADDRINUSE' ? new UsageError(`port ${port} on 127.0.0.1 is in use; choose another with --port N`) : e;
  });
  process.stdout.write(`edgepack studio: ${studio.url}${model ? ` (opening ${model.name})` : ''}\npress Ctrl+C to stop\n`);
  await new Promise<void>((done) => {
    const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); void studio.close().then(done); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

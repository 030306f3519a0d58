// edgepack CLI: one file per command; errors print one clear line and exit non-zero.

import { ConvertError } from '../ir/graph.js';
import { EpkError } from '../format/reader.js';
import { RuntimeError } from '../runtime/loader.js';
import { UsageError } from './io.js';
import * as convert from './convert.js';
import * as run from './run.js';
import * as inspect from './inspect.js';
import * as fit from './fit.js';
import * as studio from './studio.js';
import * as evaluate from './eval.js';
import { FitError } from '../fit.js';

type Command = (argv: string[]) => Promise<void>;

export const COMMANDS: Record<string, { run: Command; usage: string }> = {
  convert: { run: convert.convertCommand, usage: convert.usage },
  run: { run: run.runCommand, usage: run.usage },
  inspect: { run: inspect.inspectCommand, usage: inspect.usage },
  fit: { run: fit.fitCommand, usage: fit.usage },
  studio: { run: studio.studioCommand, usage: studio.usage },
  eval: { run: evaluate.evalCommand, usage: evaluate.usage },
};

function help(): string {
  return ['usage:', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`edgepack: unknown command "${name}"\n${help()}\n`);
    return 2;
  }
  try {
    await cmd.run(rest);
    return 0;
  } catch (e) {
    const known = e instanceof ConvertError || e instanceof EpkError || e instanceof RuntimeError || e instanceof UsageError || e instanceof FitError;
    const parseError = (e as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS');
    if (!known && !parseError) {
      // Never a stack trace: one line, exit 1 (EDGEPACK_DEBUG=1 rethrows for the stack).
      if (process.env.EDGEPACK_DEBUG) throw e;
      process.stderr.write(`edgepack ${name}: internal error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
      return 1;
    }
    process.stderr.write(`edgepack ${name}: error: ${(e as Error).message}\n`);
    return e instanceof UsageError || parseError ? 2 : 1;
  }
}

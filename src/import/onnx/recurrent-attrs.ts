// The attribute checks ONNX's recurrent nodes (LSTM, GRU) share: direction, layout 0, no clip,
// the default activations only. Each failure is one ConvertError line naming the node.

import { ImportContext } from './context.js';

/** A strings attribute decoded, or undefined when absent. */
function stringsAttr(c: ImportContext, name: string): string[] | undefined {
  const a = c.node.attribute?.find((x) => x.name === name);
  if (!a) return undefined;
  return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
}

const DIRECTIONS: Record<string, boolean[]> = { forward: [false], reverse: [true], bidirectional: [false, true] };

/**
 * Checks the shared attributes of a recurrent node whose default activations per direction
 * are `defaults`; returns the direction's name and, per direction run, whether it reads the
 * sequence backwards.
 */
export function recurrentDirections(c: ImportContext, defaults: string[]): { dirName: string; dirs: boolean[] } {
  const dirName = c.attr('direction', 'forward') as string;
  const dirs = DIRECTIONS[dirName];
  if (!dirs) c.fail(`direction "${dirName}" is not supported (forward, reverse, bidirectional)`);
  if ((c.attr('layout', 0) as number) !== 0) c.fail('layout 1 (batch first) is not supported (layout 0: [seq, batch, input])');
  if (c.attrs.has('clip')) c.fail('clip (on the gates\' pre-activations) is not supported');
  const acts = stringsAttr(c, 'activations');
  const want = dirs.flatMap(() => defaults);
  if (acts && acts.join() !== want.join()) c.fail(`activations ${JSON.stringify(acts)} are not supported (the default ${want.join(', ')} only)`);
  if (c.attrs.has('activation_alpha') || c.attrs.has('activation_beta')) c.fail('activation_alpha / activation_beta are not supported');
  return { dirName, dirs };
}

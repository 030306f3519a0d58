// The fit panel: one row per board -- RAM bars for resident and streamed mode, the flash
// bar, and what `edgepack fit` would choose for the .epk as converted.

import type { Need } from '../../fit.js';
import type { BoardFit } from './board-fit.js';

/** Bytes for a bar's label: KiB with one decimal below 10 KiB, whole KiB below 10 MiB, else MiB. */
const kib = (n: number) => (n >= 10 << 20 ? `${Math.round(n / (1 << 20))} MiB` : `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`);

function bar(used: number, budget: number, label: string, chosen: boolean): HTMLElement {
  const refused = Number.isNaN(used);
  const outer = document.createElement('div');
  outer.className = `bar${used > budget || refused ? ' over' : ''}${chosen ? ' chosen' : ''}`;
  outer.setAttribute('role', 'meter');
  outer.setAttribute('aria-label', label);
  outer.setAttribute('aria-valuemin', '0');
  outer.setAttribute('aria-valuemax', String(budget));
  outer.setAttribute('aria-valuenow', String(refused ? 0 : used));
  outer.title = refused ? `${label}: the build refuses this file` : `${label}: ${used} of ${budget} bytes`;
  const fill = document.createElement('span');
  fill.style.width = `${Math.min(100, (100 * used) / budget) || 0}%`;
  const text = document.createElement('em');
  text.textContent = refused ? 'refused' : `${kib(used)} / ${kib(budget)}${chosen ? ' *' : ''}`;
  outer.append(fill, text);
  return outer;
}

const over = (n: Need, f: BoardFit) => Math.max(0, n.ramBytes - f.board.ramBytes) + Math.max(0, n.flashBytes - f.board.flashBytes);

function verdict(f: BoardFit): HTMLElement {
  const v = document.createElement('span');
  v.className = f.chosen ? 'verdict' : 'verdict no';
  if (f.chosen) v.textContent = `fits, ${f.chosen}`;
  else {
    const n = f.options.reduce((a, o) => (over(o, f) < over(a, f) ? o : a));
    v.textContent = `over by ${kib(over(n, f))}`;
    v.title = `does not fit as converted (closest: ${n.mode}); edgepack fit would try compressed filters`;
  }
  return v;
}

function text(s: string, className = ''): HTMLElement {
  const e = document.createElement('span');
  e.textContent = s;
  e.className = className;
  return e;
}

/** The grid: board, RAM resident, RAM streamed, flash, verdict. */
export function renderFit(container: HTMLElement, fits: BoardFit[]): void {
  const grid = document.createElement('div');
  grid.className = 'bars';
  grid.append(...['board', 'RAM resident', 'RAM streamed', 'flash', 'fit'].map((h) => text(h, 'head')));
  for (const f of fits) {
    const name = text(f.board.name);
    name.title = f.board.description;
    const [resident, streamed] = f.options;
    grid.append(
      name,
      bar(resident.ramBytes, f.board.ramBytes, `${f.board.name} RAM, resident`, f.chosen === 'resident'),
      bar(streamed.ramBytes, f.board.ramBytes, `${f.board.name} RAM, streamed`, f.chosen === 'streamed'),
      bar(resident.flashBytes, f.board.flashBytes, `${f.board.name} flash`, false),
      verdict(f),
    );
  }
  container.replaceChildren(grid);
  container.dataset.fits = JSON.stringify(fits.map((f) => ({ board: f.board.name, chosen: f.chosen, ram: f.options.map((o) => o.ramBytes), flash: f.options[0].flashBytes })));
}

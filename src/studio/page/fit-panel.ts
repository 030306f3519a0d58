// The fit panel: per board, RAM and flash bars for resident and streamed mode, and what
// `edgepack fit` would choose for the .epk as converted.

import type { Need } from '../../fit.js';
import type { BoardFit } from './board-fit.js';

function bar(used: number, budget: number, label: string): HTMLElement {
  const outer = document.createElement('div');
  outer.className = used > budget || Number.isNaN(used) ? 'bar over' : 'bar';
  outer.setAttribute('role', 'meter');
  outer.setAttribute('aria-label', label);
  outer.setAttribute('aria-valuemin', '0');
  outer.setAttribute('aria-valuemax', String(budget));
  outer.setAttribute('aria-valuenow', String(Number.isNaN(used) ? 0 : used));
  const fill = document.createElement('span');
  fill.style.width = `${Math.min(100, (100 * used) / budget) || 0}%`;
  const text = document.createElement('em');
  text.textContent = Number.isNaN(used) ? 'refused by the build' : `${label}: ${used} / ${budget} B`;
  outer.append(fill, text);
  return outer;
}

function verdict(f: BoardFit): string {
  if (f.chosen) return `fits: ${f.chosen}`;
  const n = f.options.reduce((a: Need, o: Need) => (over(o, f) < over(a, f) ? o : a));
  return `does not fit as converted (${n.mode} over by ${over(n, f)} B); edgepack fit tries compressed filters`;
}

const over = (n: Need, f: BoardFit) => Math.max(0, n.ramBytes - f.board.ramBytes) + Math.max(0, n.flashBytes - f.board.flashBytes);

/** One row per board and mode: name, RAM bar, flash bar, verdict. */
export function renderFit(container: HTMLElement, fits: BoardFit[]): void {
  const grid = document.createElement('div');
  grid.className = 'bars';
  for (const f of fits) {
    const chosen = f.options.find((o) => o.mode === f.chosen);
    for (const o of f.options) {
      const name = document.createElement('span');
      name.textContent = o === f.options[0] ? `${f.board.name} ${o.mode}` : `  ${o.mode}`;
      name.title = f.board.description;
      const v = document.createElement('span');
      v.className = f.chosen ? 'verdict' : 'verdict no';
      v.textContent = o === f.options[0] ? verdict(f) : o === chosen ? '' : '';
      if (o === chosen) name.textContent += ' *';
      grid.append(name, bar(o.ramBytes, f.board.ramBytes, 'RAM'), bar(o.flashBytes, f.board.flashBytes, 'flash'), v);
    }
    const row = grid.lastElementChild as HTMLElement;
    row.dataset.board = f.board.name;
  }
  container.replaceChildren(grid);
  container.dataset.fits = JSON.stringify(fits.map((f) => ({ board: f.board.name, chosen: f.chosen, ram: f.options.map((o) => o.ramBytes), flash: f.options[0].flashBytes })));
}

// SVG bar chart of a per-layer profile: one bar per op, length = time, label = op, time, MAC/s.

export interface OpProfileRow {
  index: number;
  op: string;
  ms: number;
  /** The same op in the scalar build, when profiled. */
  scalarMs?: number;
  macs: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function profileSvg(title: string, rows: OpProfileRow[], totalMs: number): string {
  const barH = 14, gap = 3, left = 190, width = 900, top = 40;
  const maxMs = Math.max(...rows.map((r) => r.ms), 1e-9);
  const scale = (width - left - 190) / maxMs;
  const h = top + rows.length * (barH + gap) + 20;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14">${esc(title)}</text>`,
    `<text x="10" y="33" fill="#555">total ${totalMs.toFixed(3)} ms (sum of per-op medians); bar = time, label = ms, GMAC/s</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    const w = Math.max(1, r.ms * scale);
    const color = r.op.startsWith('DEPTHWISE') ? '#e07b39' : r.op.startsWith('CONV') ? '#3b75af' : r.op.startsWith('FULLY') ? '#519e3e' : '#999';
    const rate = r.macs > 0 ? `, ${(r.macs / (r.ms / 1000) / 1e9).toFixed(2)} GMAC/s` : '';
    out.push(`<text x="10" y="${y + barH - 3}">${r.index} ${esc(r.op)}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`);
    out.push(`<text x="${(left + w + 5).toFixed(1)}" y="${y + barH - 3}">${r.ms.toFixed(3)} ms${rate}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

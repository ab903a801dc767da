/*
 * The systolic-array view of `tpusim viz` (plain browser JavaScript, inlined by
 * src/viz/page.ts). It draws recorded frames of the stepped MXU (src/viz/systolic-record.ts):
 * each PE's registers, the skewed activations about to enter (read from the next frames),
 * the weight-load port, the results leaving the bottom and the accumulators. It computes
 * nothing about the array: every value shown is looked up in the recording.
 *
 * A PE shows: w = active weight [shadow weight waiting to be swapped in], a = activation
 * register (moves right), p = partial sum register (moves down); a dot = empty (bubble).
 */
'use strict';

function startSystolicView(rec) {
  const R = rec.rows;
  const C = rec.cols;
  const M = rec.shape.m;
  const N = rec.shape.n;
  const frames = rec.frames;
  const FEED = 4; // activations shown waiting at the left edge of each row
  const grid = document.getElementById('sys-grid');
  const tip = document.getElementById('tip');
  grid.style.gridTemplateColumns = `auto repeat(${FEED}, 2.4em) repeat(${C}, minmax(4.6em, 1fr))`;

  const cell = (cls, text) => {
    const d = document.createElement('div');
    d.className = cls;
    if (text !== undefined) d.textContent = text;
    grid.appendChild(d);
    return d;
  };
  // header row
  cell('hdr', '');
  cell('hdr feed-hdr', 'A enters →').style.gridColumn = `span ${FEED}`;
  for (let c = 0; c < C; c++) cell('hdr', `col ${c}`);
  const ports = [];
  const feeds = [];
  const pes = [];
  for (let r = 0; r < R; r++) {
    ports.push(cell('port'));
    for (let j = FEED; j >= 1; j--) feeds.push({ r, j, el: cell('feed') });
    for (let c = 0; c < C; c++) {
      const pe = cell('pe');
      pe.dataset.r = String(r);
      pe.dataset.c = String(c);
      const w = document.createElement('span');
      w.className = 'w';
      const s = document.createElement('span');
      s.className = 's';
      const a = document.createElement('span');
      a.className = 'a';
      const p = document.createElement('span');
      p.className = 'p';
      const line = document.createElement('div');
      line.append(w, s);
      pe.append(line, a, p);
      pes.push({ pe, w, s, a, p });
    }
  }
  cell('hdr', 'out ↓');
  cell('hdr', '').style.gridColumn = `span ${FEED}`;
  const outs = [];
  for (let c = 0; c < C; c++) outs.push(cell('out'));

  // accumulators C[M, N]
  const accTable = document.getElementById('sys-acc');
  accTable.style.gridTemplateColumns = `repeat(${N}, minmax(2.6em, 1fr))`;
  const accs = [];
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const d = document.createElement('div');
      d.className = 'acc';
      d.dataset.m = String(m);
      d.dataset.n = String(n);
      accTable.appendChild(d);
      accs.push(d);
    }
  }

  let current = 0;
  let hovered = null;

  function tipText(i, r, c) {
    const pe = frames[i].pe;
    const k = r * C + c;
    const tile = (t) => (t < 0 ? 'none' : `tile ${t}`);
    return [
      `PE (${r}, ${c}) at the end of cycle ${frames[i].cycle}`,
      `act     ${formatValue(pe.act[k])}  (${tile(pe.actTile[k])})`,
      `psum    ${formatValue(pe.psum[k])}`,
      `weight  ${formatValue(pe.weight[k])}  (${tile(pe.weightTile[k])})`,
      `shadow  ${formatValue(pe.shadow[k])}  (${tile(pe.shadowTile[k])})`,
      `MAC on real operands this cycle: ${pe.busy[k] ? 'yes' : 'no'}`,
    ].join('\n');
  }

  function show(i) {
    current = i;
    const f = frames[i];
    const pe = f.pe;
    for (let k = 0; k < R * C; k++) {
      const v = pes[k];
      const bubble = pe.actTile[k] < 0;
      v.w.textContent = pe.weightTile[k] < 0 ? '·' : formatValue(pe.weight[k]);
      v.s.textContent = pe.shadowTile[k] > pe.weightTile[k] ? formatValue(pe.shadow[k]) : '';
      v.a.textContent = bubble ? '·' : formatValue(pe.act[k]);
      v.p.textContent = bubble ? '·' : formatValue(pe.psum[k]);
      v.pe.style.background = tileColor(pe.weightTile[k], 0.18);
      v.a.style.background = tileColor(pe.actTile[k], 0.45);
      v.pe.classList.toggle('busy', pe.busy[k] === 1);
      v.pe.classList.toggle('loading', f.load !== null && f.load.row === Math.floor(k / C));
    }
    for (const { r, j, el } of feeds) {
      const g = frames[i + j];
      const k = r * C;
      const has = g !== undefined && g.pe.actTile[k] >= 0;
      el.textContent = has ? formatValue(g.pe.act[k]) : '';
      el.style.background = has ? tileColor(g.pe.actTile[k], 0.3) : 'transparent';
    }
    ports.forEach((el, r) => {
      el.textContent = f.load !== null && f.load.row === r ? `shadow ← tile ${f.load.tile}` : '';
    });
    outs.forEach((el) => (el.textContent = ''));
    for (const o of f.out) outs[o.col].textContent = `c[${o.m},${o.n}]`;
    const fresh = new Set(f.out.map((o) => o.m * N + o.n));
    f.acc.forEach((v, k) => {
      accs[k].textContent = v === null ? '' : formatValue(v);
      accs[k].classList.toggle('new', fresh.has(k));
    });
    const events = [];
    if (f.load) events.push(`weight port: tile ${f.load.tile} row ${f.load.row} → shadow`);
    if (f.streamStart !== null) events.push(`tile ${f.streamStart} starts streaming`);
    if (f.out.length > 0) events.push(`${f.out.length} result${f.out.length > 1 ? 's' : ''} into the accumulators`);
    document.getElementById('sys-pos').textContent = `cycle ${f.cycle} of ${frames.length - 1}`;
    document.getElementById('sys-events').textContent = events.join(' · ') || '—';
    if (hovered) tip.textContent = tipText(i, hovered.r, hovered.c);
  }

  grid.addEventListener('mouseover', (e) => {
    const el = e.target.closest('.pe');
    if (!el) return;
    hovered = { r: Number(el.dataset.r), c: Number(el.dataset.c) };
    tip.textContent = tipText(current, hovered.r, hovered.c);
    const box = el.getBoundingClientRect();
    tip.style.left = `${box.right + window.scrollX + 6}px`;
    tip.style.top = `${box.top + window.scrollY}px`;
    tip.hidden = false;
  });
  grid.addEventListener('mouseleave', () => {
    hovered = null;
    tip.hidden = true;
  });
  return makePlayer('sys', frames.length, show);
}

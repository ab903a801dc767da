/*
 * The systolic-array view of `tpusim viz` (plain browser JavaScript, inlined by
 * src/viz/viz-page.ts). It draws recorded frames of the stepped MXU (src/viz/systolic-record.ts):
 * each PE's registers, the skewed activations about to enter (read from the next frames),
 * the weight-load port, the results leaving the bottom and the accumulators. It computes
 * nothing about the array: every value shown is looked up in the recording.
 *
 * A PE shows: w = active weight [shadow weight waiting to be swapped in], a = activation
 * register (moves right), p = partial sum register (moves down); a dot = empty (bubble).
 */
'use strict';

/** Activations shown waiting at the left edge of each row. */
const FEED_SLOTS = 4;

/** Appends a div of class `cls` (and text) to `parent`. */
function addDiv(parent, cls, text) {
  const d = document.createElement('div');
  d.className = cls;
  if (text !== undefined) d.textContent = text;
  parent.appendChild(d);
  return d;
}

/** One PE cell with its register spans. */
function addPe(grid, r, c) {
  const pe = addDiv(grid, 'pe');
  pe.dataset.r = String(r);
  pe.dataset.c = String(c);
  const span = (cls) => Object.assign(document.createElement('span'), { className: cls });
  const [w, s, a, p] = [span('w'), span('s'), span('a'), span('p')];
  const line = document.createElement('div');
  line.append(w, s);
  pe.append(line, a, p);
  return { pe, w, s, a, p };
}

/** The grid: a port label and feed slots per row, the PEs, the outputs row; then the accumulators. */
function buildSystolicView(rec) {
  const { rows: R, cols: C } = rec;
  const grid = document.getElementById('sys-grid');
  grid.style.gridTemplateColumns = `auto repeat(${FEED_SLOTS}, 2.4em) repeat(${C}, minmax(4.6em, 1fr))`;
  addDiv(grid, 'hdr', '');
  addDiv(grid, 'hdr', 'A enters →').style.gridColumn = `span ${FEED_SLOTS}`;
  for (let c = 0; c < C; c++) addDiv(grid, 'hdr', `col ${c}`);
  const view = { grid, ports: [], feeds: [], pes: [], outs: [], accs: [] };
  for (let r = 0; r < R; r++) {
    view.ports.push(addDiv(grid, 'port'));
    for (let j = FEED_SLOTS; j >= 1; j--) view.feeds.push({ r, j, el: addDiv(grid, 'feed') });
    for (let c = 0; c < C; c++) view.pes.push(addPe(grid, r, c));
  }
  addDiv(grid, 'hdr', 'out ↓');
  addDiv(grid, 'hdr', '').style.gridColumn = `span ${FEED_SLOTS}`;
  for (let c = 0; c < C; c++) view.outs.push(addDiv(grid, 'out'));
  const acc = document.getElementById('sys-acc');
  acc.style.gridTemplateColumns = `repeat(${rec.shape.n}, minmax(2.6em, 1fr))`;
  for (let m = 0; m < rec.shape.m; m++) {
    for (let n = 0; n < rec.shape.n; n++) view.accs.push(Object.assign(addDiv(acc, 'acc'), { title: `C[${m}, ${n}]` }));
  }
  return view;
}

/** Every PE's spans for frame f. */
function drawPes(view, rec, f) {
  const pe = f.pe;
  const C = rec.cols;
  view.pes.forEach((v, k) => {
    const bubble = pe.actTile[k] < 0;
    v.w.textContent = pe.weightTile[k] < 0 ? '·' : formatValue(pe.weight[k]);
    v.s.textContent = pe.shadowTile[k] > pe.weightTile[k] ? formatValue(pe.shadow[k]) : '';
    v.a.textContent = bubble ? '·' : formatValue(pe.act[k]);
    v.p.textContent = bubble ? '·' : formatValue(pe.psum[k]);
    v.pe.style.background = tileColor(pe.weightTile[k], 0.18);
    v.a.style.background = tileColor(pe.actTile[k], 0.45);
    v.pe.classList.toggle('busy', pe.busy[k] === 1);
    v.pe.classList.toggle('loading', f.load !== null && f.load.row === Math.floor(k / C));
  });
}

/** The edges of frame i: activations about to enter (from the next frames), the weight port, outputs, accumulators. */
function drawEdges(view, rec, i) {
  const f = rec.frames[i];
  for (const { r, j, el } of view.feeds) {
    const g = rec.frames[i + j];
    const k = r * rec.cols;
    const has = g !== undefined && g.pe.actTile[k] >= 0;
    el.textContent = has ? formatValue(g.pe.act[k]) : '';
    el.style.background = has ? tileColor(g.pe.actTile[k], 0.3) : 'transparent';
  }
  view.ports.forEach((el, r) => (el.textContent = f.load !== null && f.load.row === r ? `shadow ← tile ${f.load.tile}` : ''));
  view.outs.forEach((el) => (el.textContent = ''));
  for (const o of f.out) view.outs[o.col].textContent = `c[${o.m},${o.n}]`;
  const fresh = new Set(f.out.map((o) => o.m * rec.shape.n + o.n));
  f.acc.forEach((v, k) => {
    view.accs[k].textContent = v === null ? '' : formatValue(v);
    view.accs[k].classList.toggle('new', fresh.has(k));
  });
}

/** The status line of frame f. */
function systolicEvents(f) {
  const events = [];
  if (f.load) events.push(`weight port: tile ${f.load.tile} row ${f.load.row} → shadow`);
  if (f.streamStart !== null) events.push(`tile ${f.streamStart} starts streaming`);
  if (f.out.length > 0) events.push(`${f.out.length} result${f.out.length > 1 ? 's' : ''} into the accumulators`);
  return events.join(' · ') || '—';
}

/** The hover text of PE (r, c) in frame i: all its registers. */
function peTipText(rec, i, r, c) {
  const f = rec.frames[i];
  const k = r * rec.cols + c;
  const tile = (t) => (t < 0 ? 'none' : `tile ${t}`);
  return [
    `PE (${r}, ${c}) at the end of cycle ${f.cycle}`,
    `act     ${formatValue(f.pe.act[k])}  (${tile(f.pe.actTile[k])})`,
    `psum    ${formatValue(f.pe.psum[k])}`,
    `weight  ${formatValue(f.pe.weight[k])}  (${tile(f.pe.weightTile[k])})`,
    `shadow  ${formatValue(f.pe.shadow[k])}  (${tile(f.pe.shadowTile[k])})`,
    `MAC on real operands this cycle: ${f.pe.busy[k] ? 'yes' : 'no'}`,
  ].join('\n');
}

/** Builds the view, wires hovering, and returns its player. */
function startSystolicView(rec) {
  const view = buildSystolicView(rec);
  const tip = document.getElementById('tip');
  let current = 0;
  let hovered = null;
  function show(i) {
    current = i;
    drawPes(view, rec, rec.frames[i]);
    drawEdges(view, rec, i);
    document.getElementById('sys-pos').textContent = `cycle ${rec.frames[i].cycle} of ${rec.frames.length - 1}`;
    document.getElementById('sys-events').textContent = systolicEvents(rec.frames[i]);
    if (hovered) tip.textContent = peTipText(rec, i, hovered.r, hovered.c);
  }
  view.grid.addEventListener('mouseover', (e) => {
    const el = e.target.closest('.pe');
    if (!el) return;
    hovered = { r: Number(el.dataset.r), c: Number(el.dataset.c) };
    tip.textContent = peTipText(rec, current, hovered.r, hovered.c);
    const box = el.getBoundingClientRect();
    tip.style.left = `${box.right + window.scrollX + 6}px`;
    tip.style.top = `${box.top + window.scrollY}px`;
    tip.hidden = false;
  });
  view.grid.addEventListener('mouseleave', () => {
    hovered = null;
    tip.hidden = true;
  });
  return makePlayer('sys', rec.frames.length, show);
}

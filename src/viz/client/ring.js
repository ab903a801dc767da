/*
 * The all-reduce view of `tpusim viz` (plain browser JavaScript, inlined by src/viz/viz-page.ts).
 * It draws recorded steps of the simulator's ring all-reduce (src/viz/allreduce-record.ts):
 * the cores on their ring, the chunk each one sends to its neighbour in this step, and every
 * core's buffer after it. Core i starts with 2^i, so a value's bits name the cores summed
 * into it. Frame 0 is the state before the first step; frame i the state after step i.
 */
'use strict';

const RING_SIZE = 560;
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Appends an SVG element with these attributes to `parent`. */
function addSvg(parent, tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

/** Where core i sits, on a circle of radius r around the centre (core 0 at the top). */
function ringPoint(n, i, r) {
  const t = (2 * Math.PI * i) / n - Math.PI / 2;
  return { x: RING_SIZE / 2 + r * Math.cos(t), y: RING_SIZE / 2 + r * Math.sin(t) };
}

/** The cores of `rec` on a ring in the SVG, each with one cell per chunk; returns the cells and the arrow layer. */
function buildRingSvg(svg, rec) {
  const { cores: n, values: V } = rec;
  const radius = RING_SIZE / 2 - 70;
  const cellW = Math.min(14, 112 / V);
  svg.setAttribute('viewBox', `0 0 ${RING_SIZE} ${RING_SIZE}`);
  const arrowHead = { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' };
  const marker = addSvg(addSvg(svg, 'defs', {}), 'marker', arrowHead);
  addSvg(marker, 'path', { d: 'M0,0 L10,5 L0,10 z', fill: '#c0392b' });
  addSvg(svg, 'circle', { cx: RING_SIZE / 2, cy: RING_SIZE / 2, r: radius, fill: 'none', stroke: '#ccc', 'stroke-dasharray': '4 4' });
  const arrows = addSvg(svg, 'g', {});
  const cells = [];
  for (let i = 0; i < n; i++) {
    const { x, y } = ringPoint(n, i, radius);
    const g = addSvg(svg, 'g', { class: 'core', 'data-core': i });
    addSvg(g, 'rect', { x: x - 62, y: y - 24, width: 124, height: 48, rx: 6, fill: '#fff', stroke: '#555' });
    addSvg(g, 'text', { x, y: y - 9, 'text-anchor': 'middle', 'font-size': 12 }).textContent = `core ${i}`;
    const cell = (j) => ({ x: x - (V * cellW) / 2 + j * cellW, y: y + 1, width: cellW - 1, height: 14, 'data-core': i, 'data-chunk': j });
    cells.push(Array.from({ length: V }, (_, j) => addSvg(g, 'rect', cell(j))));
  }
  return { arrows, cells, radius };
}

/** The buffer table: one row per core, one cell per chunk. */
function buildRingTable(table, rec) {
  const head = document.createElement('tr');
  head.innerHTML = `<th>core</th>${Array.from({ length: rec.values }, (_, j) => `<th>chunk ${j}</th>`).join('')}`;
  table.appendChild(head);
  return Array.from({ length: rec.cores }, (_, i) => {
    const tr = document.createElement('tr');
    tr.innerHTML = `<th>${i}</th>`;
    table.appendChild(tr);
    return Array.from({ length: rec.values }, (_, j) => {
      const td = document.createElement('td');
      Object.assign(td.dataset, { core: String(i), chunk: String(j) });
      tr.appendChild(td);
      return td;
    });
  });
}

/** The cores whose starting values (2^core) are summed into v. */
function coresIn(v, n) {
  return Array.from({ length: n }, (_, i) => i).filter((i) => Math.floor(v / 2 ** i) % 2 === 1);
}

const microseconds = (s) => `${(s * 1e6).toFixed(2)} µs`;

/** An arrow from core `from` to core `to`, inside the ring (bowed toward the centre, clear of the boxes), labelled with the chunk. */
function drawMessage(layer, n, radius, m) {
  const c = RING_SIZE / 2;
  const a = ringPoint(n, m.from, radius - 34);
  const b = ringPoint(n, m.to, radius - 34);
  const mx = (a.x + b.x) / 2;
  const my = (a.y + b.y) / 2;
  const q = { x: mx + (c - mx) * 0.18, y: my + (c - my) * 0.18 };
  const line = { fill: 'none', stroke: '#c0392b', 'stroke-width': 2, 'marker-end': 'url(#arrow)', opacity: 0.85 };
  addSvg(layer, 'path', { d: `M${a.x},${a.y} Q${q.x},${q.y} ${b.x},${b.y}`, ...line });
  const label = { 'text-anchor': 'middle', 'font-size': 11, fill: '#c0392b', class: 'msg' };
  addSvg(layer, 'text', { x: mx + (c - mx) * 0.3, y: my + (c - my) * 0.3 + 4, ...label }).textContent = `chunk ${m.chunk}`;
}

/** The status line of frame i. */
function ringEvents(rec, i) {
  if (i === 0) return `before the all-reduce: core i holds 2^i in every chunk (${rec.cores} cores, ${rec.values} values each)`;
  const f = rec.frames[i - 1];
  const end = Math.max(...f.messages.map((m) => m.arriveSeconds));
  const verb = f.kind === 'reduce-scatter' ? 'adds it to its own' : 'copies it';
  return `${f.kind} step ${f.step + 1} of ${rec.cores - 1}: each core sends one chunk to the next core, which ${verb}; last arrival at ${microseconds(end)}`;
}

/** Builds the view, wires hovering, and returns its player. */
function startRingView(rec) {
  const n = rec.cores;
  const svg = document.getElementById('ring-svg');
  const tip = document.getElementById('tip');
  const ring = buildRingSvg(svg, rec);
  const tds = buildRingTable(document.getElementById('ring-table'), rec);
  const buffersAt = (i) => (i === 0 ? rec.initial : rec.frames[i - 1].buffers);
  const shade = (v) => `hsl(${20 + (100 * coresIn(v, n).length) / n}, 70%, ${88 - (45 * coresIn(v, n).length) / n}%)`;
  let current = 0;
  function show(i) {
    current = i;
    const messages = i === 0 ? [] : rec.frames[i - 1].messages;
    const moved = new Set(messages.map((m) => `${m.to}:${m.chunk}`));
    ring.arrows.replaceChildren();
    for (const m of messages) drawMessage(ring.arrows, n, ring.radius, m);
    buffersAt(i).forEach((buffer, c) =>
      buffer.forEach((v, j) => {
        const hit = moved.has(`${c}:${j}`);
        ring.cells[c][j].setAttribute('fill', shade(v));
        ring.cells[c][j].setAttribute('stroke-width', hit ? 2.5 : 1);
        ring.cells[c][j].setAttribute('stroke', hit ? '#c0392b' : '#999');
        tds[c][j].textContent = formatValue(v);
        tds[c][j].style.background = shade(v);
        tds[c][j].classList.toggle('new', hit);
      }),
    );
    document.getElementById('ring-pos').textContent = `step ${i} of ${rec.frames.length}`;
    document.getElementById('ring-events').textContent = ringEvents(rec, i);
  }
  svg.addEventListener('mouseover', (e) => {
    const t = e.target;
    if (!t.dataset || t.dataset.chunk === undefined) return;
    const v = buffersAt(current)[Number(t.dataset.core)][Number(t.dataset.chunk)];
    tip.textContent = `core ${t.dataset.core}, chunk ${t.dataset.chunk} = ${formatValue(v)}\nholds the values of cores ${coresIn(v, n).join(', ')}`;
    tip.style.left = `${e.pageX + 12}px`;
    tip.style.top = `${e.pageY + 12}px`;
    tip.hidden = false;
  });
  svg.addEventListener('mouseout', () => (tip.hidden = true));
  const link = `links of ${(rec.link.bytesPerSecond / 1e9).toFixed(0)} GB/s and ${microseconds(rec.link.latencySeconds)} per hop`;
  document.getElementById('ring-total').textContent =
    `${n} cores on one ring, ${rec.values * 4} bytes per core, ${link}: the all-reduce takes ${microseconds(rec.seconds)} simulated`;
  return makePlayer('ring', rec.frames.length + 1, show);
}

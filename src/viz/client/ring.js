/*
 * The all-reduce view of `tpusim viz` (plain browser JavaScript, inlined by src/viz/page.ts).
 * It draws recorded steps of the simulator's ring all-reduce (src/viz/allreduce-record.ts):
 * the cores on their ring, the chunk each one sends to its neighbour in this step, and every
 * core's buffer after it. Core i starts with 2^i, so a value's bits name the cores summed
 * into it. Frame 0 is the state before the first step.
 */
'use strict';

function startRingView(rec) {
  const n = rec.cores;
  const V = rec.values;
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.getElementById('ring-svg');
  const table = document.getElementById('ring-table');
  const tip = document.getElementById('tip');
  const size = 560;
  const cx = size / 2;
  const cy = size / 2;
  const radius = size / 2 - 70;
  const cellW = Math.min(14, 112 / V);
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  const make = (tag, attrs, parent) => {
    const e = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    (parent || svg).appendChild(e);
    return e;
  };
  const at = (i, r = radius) => {
    const t = (2 * Math.PI * i) / n - Math.PI / 2;
    return { x: cx + r * Math.cos(t), y: cy + r * Math.sin(t) };
  };
  const defs = make('defs', {});
  const marker = make('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' }, defs);
  make('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#c0392b' }, marker);
  make('circle', { cx, cy, r: radius, fill: 'none', stroke: '#ccc', 'stroke-dasharray': '4 4' });
  const arrows = make('g', {});
  const cells = [];
  for (let i = 0; i < n; i++) {
    const { x, y } = at(i);
    const g = make('g', { class: 'core', 'data-core': i });
    make('rect', { x: x - 62, y: y - 24, width: 124, height: 48, rx: 6, fill: '#fff', stroke: '#555' }, g);
    make('text', { x, y: y - 9, 'text-anchor': 'middle', 'font-size': 12 }, g).textContent = `core ${i}`;
    const row = [];
    for (let j = 0; j < V; j++) {
      const r = make('rect', { x: x - (V * cellW) / 2 + j * cellW, y: y + 1, width: cellW - 1, height: 14, stroke: '#999', 'data-core': i, 'data-chunk': j }, g);
      row.push(r);
    }
    cells.push(row);
  }
  // the buffer table: one row per core, one cell per value (chunk)
  const head = document.createElement('tr');
  head.innerHTML = `<th>core</th>${Array.from({ length: V }, (_, j) => `<th>chunk ${j}</th>`).join('')}`;
  table.appendChild(head);
  const tds = [];
  for (let i = 0; i < n; i++) {
    const tr = document.createElement('tr');
    tr.innerHTML = `<th>${i}</th>`;
    const row = [];
    for (let j = 0; j < V; j++) {
      const td = document.createElement('td');
      td.dataset.core = String(i);
      td.dataset.chunk = String(j);
      tr.appendChild(td);
      row.push(td);
    }
    table.appendChild(tr);
    tds.push(row);
  }
  const bits = (v) => Array.from({ length: n }, (_, i) => i).filter((i) => Math.floor(v / 2 ** i) % 2 === 1);
  const shade = (v) => `hsl(${20 + (100 * bits(v).length) / n}, 70%, ${88 - (45 * bits(v).length) / n}%)`;
  const us = (s) => `${(s * 1e6).toFixed(2)} µs`;
  let current = 0;

  function buffersAt(i) {
    return i === 0 ? rec.initial : rec.frames[i - 1].buffers;
  }
  function show(i) {
    current = i;
    const buffers = buffersAt(i);
    const moved = new Set();
    arrows.replaceChildren();
    if (i > 0) {
      for (const m of rec.frames[i - 1].messages) {
        moved.add(`${m.to}:${m.chunk}`);
        // inside the ring, bowed toward the centre, so the cores' boxes do not hide them
        const a = at(m.from, radius - 34);
        const b = at(m.to, radius - 34);
        const mx = (a.x + b.x) / 2;
        const my = (a.y + b.y) / 2;
        const qx = mx + (cx - mx) * 0.18;
        const qy = my + (cy - my) * 0.18;
        make('path', { d: `M${a.x},${a.y} Q${qx},${qy} ${b.x},${b.y}`, fill: 'none', stroke: '#c0392b', 'stroke-width': 2, 'marker-end': 'url(#arrow)', opacity: 0.85 }, arrows);
        make('text', { x: mx + (cx - mx) * 0.3, y: my + (cy - my) * 0.3 + 4, 'text-anchor': 'middle', 'font-size': 11, fill: '#c0392b', class: 'msg' }, arrows).textContent = `chunk ${m.chunk}`;
      }
    }
    for (let c = 0; c < n; c++) {
      for (let j = 0; j < V; j++) {
        const v = buffers[c][j];
        cells[c][j].setAttribute('fill', shade(v));
        cells[c][j].setAttribute('stroke-width', moved.has(`${c}:${j}`) ? 2.5 : 1);
        cells[c][j].setAttribute('stroke', moved.has(`${c}:${j}`) ? '#c0392b' : '#999');
        tds[c][j].textContent = formatValue(v);
        tds[c][j].style.background = shade(v);
        tds[c][j].classList.toggle('new', moved.has(`${c}:${j}`));
      }
    }
    let text;
    if (i === 0) text = `before the all-reduce: core i holds 2^i in every chunk (${n} cores, ${V} values each)`;
    else {
      const f = rec.frames[i - 1];
      const end = Math.max(...f.messages.map((m) => m.arriveSeconds));
      const verb = f.kind === 'reduce-scatter' ? 'adds it to its own' : 'copies it';
      text = `${f.kind} step ${f.step + 1} of ${n - 1}: each core sends one chunk to the next core, which ${verb}; last arrival at ${us(end)}`;
    }
    document.getElementById('ring-pos').textContent = `step ${i} of ${rec.frames.length}`;
    document.getElementById('ring-events').textContent = text;
  }

  svg.addEventListener('mouseover', (e) => {
    const t = e.target;
    if (!t.dataset || t.dataset.chunk === undefined) return;
    const v = buffersAt(current)[Number(t.dataset.core)][Number(t.dataset.chunk)];
    tip.textContent = `core ${t.dataset.core}, chunk ${t.dataset.chunk} = ${formatValue(v)}\nholds the values of cores ${bits(v).join(', ')}`;
    tip.style.left = `${e.pageX + 12}px`;
    tip.style.top = `${e.pageY + 12}px`;
    tip.hidden = false;
  });
  svg.addEventListener('mouseout', () => (tip.hidden = true));
  document.getElementById('ring-total').textContent =
    `${n} cores on one ring, ${V * 4} bytes per core, links of ${(rec.link.bytesPerSecond / 1e9).toFixed(0)} GB/s and ${us(rec.link.latencySeconds)} per hop: the all-reduce takes ${us(rec.seconds)} simulated`;
  return makePlayer('ring', rec.frames.length + 1, show);
}

/**
 * @module viz/viz-page
 * The page `tpusim viz` serves or writes: two views over recorded simulator data, the
 * systolic array stepping a tiled matmul and an all-reduce on a ring of cores, each with
 * play, pause, step, step back, speed and a slider. The views are ./client/systolic.js and
 * ./client/ring.js; this module lays out the page and embeds the recordings.
 *
 * Imports ./html and the recording types only.
 *
 * Element ids the browser test relies on: `sys-step`, `sys-back`, `sys-play`, `sys-pos`,
 * PE cells `.pe[data-r][data-c]` with spans `.w` (active weight), `.s` (shadow, when
 * pending), `.a` (activation), `.p` (partial sum); `ring-step`, `ring-table` cells
 * `td[data-core][data-chunk]`; tab buttons `tab-sys`, `tab-ring`.
 */
import { escapeHtml, htmlPage } from './html.ts';
import type { RingRecording } from './allreduce-record.ts';
import type { SystolicRecording } from './systolic-record.ts';

/** The controls of one player (ids `${prefix}-play` ... as ./client/player.js expects). */
function controls(prefix: string): string {
  const speeds = [1, 2, 4, 8, 16, 32].map((s) => `<option value="${s}"${s === 4 ? ' selected' : ''}>${s} / s</option>`).join('');
  return `<div class="controls">
  <button id="${prefix}-reset" title="back to the start">Start</button>
  <button id="${prefix}-back" title="step back (←)">◀ Back</button>
  <button id="${prefix}-play" title="play / pause (space)">Play</button>
  <button id="${prefix}-step" title="step one (→)">Step ▶</button>
  <label>speed <select id="${prefix}-speed">${speeds}</select></label>
  <input type="range" id="${prefix}-scrub" min="0" value="0" step="1" style="width: 22em">
  <span class="pos" id="${prefix}-pos"></span>
</div>`;
}

/** The body of the page. */
function body(sys: SystolicRecording, ring: RingRecording): string {
  const { m, k, n } = sys.shape;
  const title = `C[${m}x${n}] = A[${m}x${k}] · B[${k}x${n}] on a ${sys.rows} x ${sys.cols} weight-stationary systolic array`;
  return `<h1>tpusim viz</h1>
<nav><button id="tab-sys" class="on">Systolic array</button> <button id="tab-ring">All-reduce ring</button></nav>
<section id="view-sys">
  <h2>${escapeHtml(title)}</h2>
  <p class="note">Recorded cycle by cycle from the simulator's stepped MXU (seed ${sys.seed}, integer operands in [-4, 4],
  ${sys.tiles.length} weight tile${sys.tiles.length > 1 ? 's' : ''}, weight double buffering ${sys.overlap ? 'on' : 'off'};
  the result ${sys.matchesReference ? 'equals' : 'DIFFERS from'} the numerics reference bit for bit).
  Each cell is the end of a cycle. Weights are written into the shadow registers one row per cycle (orange), and swapped
  in as a tile's first activation passes; activations enter skewed from the left and move right; partial sums move down
  and leave the bottom into the accumulators. Hover a PE for its registers.</p>
  ${controls('sys')}
  <div class="events" id="sys-events"></div>
  <div class="stage">
    <div id="sys-grid"></div>
    <div><h2>accumulators C</h2><div id="sys-acc"></div></div>
  </div>
  <p class="legend">w = active weight [shadow weight loaded, waiting for its tile], a = activation register, p = partial-sum register,
  · = empty (no wave). Blue border: a multiply-accumulate on real operands this cycle. Colours: one per weight tile.
  Yellow: accumulators written this cycle. Keys: space plays or pauses, ← and → step.</p>
</section>
<section id="view-ring" hidden>
  <h2>All-reduce (sum) on a ring of ${ring.cores} cores, chunk by chunk</h2>
  <p class="note" id="ring-total"></p>
  <p class="note">Recorded step by step from the simulator's collectives (the ring algorithm the board runs):
  reduce-scatter (${ring.cores - 1} steps: each core adds the chunk it receives), then all-gather (${ring.cores - 1} steps:
  each core copies the finished chunk it receives). Darker chunks hold more cores' values; red: received in this step.</p>
  ${controls('ring')}
  <div class="events" id="ring-events"></div>
  <div class="stage"><svg id="ring-svg" xmlns="http://www.w3.org/2000/svg"></svg><table id="ring-table"></table></div>
</section>`;
}

/** The script that starts both views and the tabs. */
const START = `const data = JSON.parse(document.getElementById('viz-data').textContent);
const players = { sys: startSystolicView(data.systolic), ring: startRingView(data.ring) };
let tab = 'sys';
function choose(name) {
  tab = name;
  for (const t of ['sys', 'ring']) {
    document.getElementById('view-' + t).hidden = t !== name;
    document.getElementById('tab-' + t).classList.toggle('on', t === name);
  }
}
document.getElementById('tab-sys').addEventListener('click', () => choose('sys'));
document.getElementById('tab-ring').addEventListener('click', () => choose('ring'));
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLSelectElement || e.target instanceof HTMLInputElement) return;
  const p = players[tab];
  if (e.key === ' ') { e.preventDefault(); p.toggle(); }
  else if (e.key === 'ArrowRight') { p.stop(); p.go(p.index + 1); }
  else if (e.key === 'ArrowLeft') { p.stop(); p.go(p.index - 1); }
});`;

/**
 * The whole page, self-contained.
 * @example writeFileSync('index.html', vizPage(recordSystolic(opts), recordAllReduce(8)));
 */
export function vizPage(systolic: SystolicRecording, ring: RingRecording): string {
  return htmlPage({
    title: `tpusim viz: ${systolic.rows} x ${systolic.cols} systolic array, ${ring.cores}-core all-reduce`,
    body: body(systolic, ring),
    data: { systolic, ring },
    scripts: ['player.js', 'systolic.js', 'ring.js'],
    start: START,
  });
}

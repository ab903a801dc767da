/*
 * The frame player shared by the views of `tpusim viz` (plain browser JavaScript, inlined
 * into the page by src/viz/page.ts): play, pause, step one frame, step back, speed, a slider.
 * It only chooses which recorded frame to show; the views draw it.
 */
'use strict';

/**
 * Wires the controls whose ids start with `prefix` (`${prefix}-play`, -step, -back, -reset,
 * -speed, -scrub, -pos) to `show(i)` for i in [0, count).
 */
function makePlayer(prefix, count, show) {
  const el = (name) => document.getElementById(`${prefix}-${name}`);
  const play = el('play');
  const scrub = el('scrub');
  const speed = el('speed');
  let index = 0;
  let timer = null;
  scrub.max = String(count - 1);

  function go(i) {
    index = Math.max(0, Math.min(count - 1, i));
    scrub.value = String(index);
    show(index);
    if (index === count - 1) stop();
  }
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = 'Play';
  }
  function start() {
    if (index === count - 1) go(0);
    play.textContent = 'Pause';
    timer = setInterval(() => go(index + 1), 1000 / Number(speed.value));
  }
  play.addEventListener('click', () => (timer === null ? start() : stop()));
  el('step').addEventListener('click', () => { stop(); go(index + 1); });
  el('back').addEventListener('click', () => { stop(); go(index - 1); });
  el('reset').addEventListener('click', () => { stop(); go(0); });
  scrub.addEventListener('input', () => { stop(); go(Number(scrub.value)); });
  speed.addEventListener('change', () => { if (timer !== null) { stop(); start(); } });
  go(0);
  return {
    get index() { return index; },
    go,
    toggle: () => (timer === null ? start() : stop()),
    stop,
  };
}

/** A number as the views print it: integers whole, others with 4 significant digits. */
function formatValue(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  return x.toPrecision(4);
}

/** A colour per weight tile, so a tile's weights and its activations match. */
function tileColor(tile, alpha) {
  return tile < 0 ? 'transparent' : `hsla(${(tile * 67 + 200) % 360}, 70%, 55%, ${alpha})`;
}

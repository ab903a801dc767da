/*
 * The hover box of the timeline page (`tpusim compile --simulate --html`; inlined by
 * src/viz/timeline-svg.ts): shows a bar's HLO op and times, read from the bar's <title>.
 */
'use strict';

function startTimelineHover() {
  const tip = document.getElementById('tip');
  const svg = document.querySelector('#timeline svg');
  svg.addEventListener('mouseover', (e) => {
    const bar = e.target.closest('rect.bar');
    if (!bar) return;
    tip.textContent = bar.querySelector('title').textContent;
    tip.style.left = `${e.pageX + 12}px`;
    tip.style.top = `${e.pageY + 12}px`;
    tip.hidden = false;
  });
  svg.addEventListener('mouseout', (e) => {
    if (e.target.closest('rect.bar')) tip.hidden = true;
  });
}

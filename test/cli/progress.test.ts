import { describe, expect, it } from 'vitest';
import { TrainingProgress, epochLine, formatSeconds, timeLeftLine, type TextStream } from '../../src/cli/progress.ts';
import type { History } from '../../src/layers/index.ts';

/** A stream that keeps what is written. */
function sink(isTTY?: boolean): TextStream & { text: string } {
  const s = { text: '', write: (t: string) => void (s.text += t), ...(isTTY === undefined ? {} : { isTTY }) };
  return s;
}

/** A clock the test moves. */
function clock(): { now: () => number; at: (ms: number) => void } {
  let ms = 0;
  return { now: () => ms, at: (t) => void (ms = t) };
}

function history(rows: { steps: number; loss: number; accuracy: number; device: number; host: number; val?: [number, number] }[]): History {
  const h: History = { epoch: [], history: { loss: [], accuracy: [], val_loss: [], val_accuracy: [] }, deviceSeconds: [], hostSeconds: [], steps: [] };
  rows.forEach((r, e) => {
    h.epoch.push(e);
    h.history.loss.push(r.loss);
    h.history.accuracy.push(r.accuracy);
    if (r.val) {
      h.history.val_loss.push(r.val[0]);
      h.history.val_accuracy.push(r.val[1]);
    }
    h.deviceSeconds.push(r.device);
    h.hostSeconds.push(r.host);
    h.steps.push(r.steps);
  });
  return h;
}

const EPOCH_1 = { steps: 4, loss: 1.25, accuracy: 0.5625, device: 0.01234, host: 18.5, val: [1.1, 0.6] as [number, number] };
const EPOCH_2 = { steps: 2, loss: 0.75, accuracy: 0.75, device: 0.0061, host: 7 };

describe('timeLeftLine', () => {
  it('is the epochs to go times the mean epoch, and nothing at the end or with no epoch known', () => {
    expect(timeLeftLine(36, [250, 270])).toBe('about 2 h 36 min left (36 more epochs)');
    expect(timeLeftLine(1, [6.5])).toBe('about 6.50 s left (1 more epoch)');
    expect(timeLeftLine(0, [6.5])).toBeUndefined();
    expect(timeLeftLine(3, [])).toBeUndefined();
    expect(timeLeftLine(2, [NaN, 10])).toBe('about 20.00 s left (2 more epochs)');
  });
});

describe('formatSeconds', () => {
  it('picks a unit a person reads at a glance', () => {
    expect([0, 4e-7, 1.234e-5, 0.000456, 0.001234, 0.01234, 0.5, 3.21, 125, 3720, Infinity, NaN].map(formatSeconds)).toEqual([
      '0 s', '400 ns', '12.34 us', '456.00 us', '1.23 ms', '12.34 ms', '500.00 ms', '3.21 s', '2 min 05 s', '1 h 02 min', 'Infinity', 'NaN',
    ]);
  });
});

describe('epochLine', () => {
  it('gives steps, loss, accuracy, validation when present, simulated TPU time and host time', () => {
    const h = history([EPOCH_1, EPOCH_2]);
    expect(epochLine({ epoch: 0, epochs: 2, logs: { loss: 1.25, accuracy: 0.5625, val_loss: 1.1, val_accuracy: 0.6 }, history: h })).toBe(
      'epoch 1/2: 4 steps  loss 1.2500  accuracy 0.5625  val_loss 1.1000  val_accuracy 0.6000  tpu 12.34 ms  host 18.50 s',
    );
    expect(epochLine({ epoch: 1, epochs: 2, logs: { loss: 0.75, accuracy: 0.75 }, history: h })).toBe('epoch 2/2: 2 steps  loss 0.7500  accuracy 0.7500  tpu 6.10 ms  host 7.00 s');
  });
});

describe('TrainingProgress, not a terminal', () => {
  it('prints the scripted run as exactly these lines', () => {
    const [out, err, t] = [sink(), sink(), clock()];
    const p = new TrainingProgress({ out, err, now: t.now });
    p.epochBegin(0, 2, 4);
    p.begin('compiling the training step for 8 cores');
    t.at(12000);
    p.step({ loss: 2, correct: 2, examples: 8 }); // ends the wait; a line (12 s since the epoch began)
    t.at(14000);
    p.step({ loss: 1, correct: 4, examples: 8 }); // 2 s since the last line: none
    t.at(17000);
    p.step({ loss: 1.5, correct: 6, examples: 8 }); // 5 s: a line; rates leave out the compiling step
    t.at(18000);
    p.step({ loss: 0.5, correct: 6, examples: 8 }); // the last step: the epoch line follows instead
    p.epochEnd(0, { loss: 1.25, accuracy: 0.5625, val_loss: 1.1, val_accuracy: 0.6 }, history([EPOCH_1]));
    t.at(20000);
    p.epochBegin(1, 2); // unknown step count
    t.at(21000);
    p.step({ loss: 1, correct: 5, examples: 8 });
    t.at(26000);
    p.step({ loss: 0.5, correct: 7, examples: 8 });
    p.epochEnd(1, { loss: 0.75, accuracy: 0.75 }, history([EPOCH_1, EPOCH_2]));
    p.note('saved to /tmp/model');
    p.close();
    p.close();
    expect(err.text.split('\n')).toEqual([
      'compiling the training step for 8 cores...',
      'compiling the training step for 8 cores... done in 12.00 s',
      'epoch 1/2 step 1/4  loss 2.0000  accuracy 0.2500  - img/s  ETA -',
      'epoch 1/2 step 3/4  loss 1.5000  accuracy 0.5000  3.2 img/s  ETA 2.50 s',
      'about 6.50 s left (1 more epoch)', // 18.5 s of host time, 12 s of it compiling
      'epoch 2/2 step 2  loss 0.7500  accuracy 0.7500  2.7 img/s',
      'saved to /tmp/model',
      '',
    ]);
    expect(out.text.split('\n')).toEqual([
      'epoch 1/2: 4 steps  loss 1.2500  accuracy 0.5625  val_loss 1.1000  val_accuracy 0.6000  tpu 12.34 ms  host 18.50 s',
      'epoch 2/2: 2 steps  loss 0.7500  accuracy 0.7500  tpu 6.10 ms  host 7.00 s',
      '',
    ]);
  });

  it('prints every K steps when asked, and survives 0 steps and NaN', () => {
    const [out, err, t] = [sink(), sink(false), clock()];
    const p = new TrainingProgress({ out, err, now: t.now, intervalSeconds: 3600, everySteps: 2 });
    p.epochBegin(0, 1, 0); // 0 = unknown
    for (let i = 1; i <= 5; i++) {
      t.at(i * 1000);
      p.step({ loss: 1, correct: 1, examples: 4 });
    }
    expect(err.text.split('\n').filter(Boolean)).toEqual(['epoch 1/1 step 2  loss 1.0000  accuracy 0.2500  4.0 img/s', 'epoch 1/1 step 4  loss 1.0000  accuracy 0.2500  4.0 img/s']);
    p.epochEnd(0, { loss: NaN, accuracy: NaN }, history([{ steps: 0, loss: NaN, accuracy: NaN, device: 0, host: 0 }]));
    expect(out.text).toBe('epoch 1/1: 0 steps  loss NaN  accuracy NaN  tpu 0 s  host 0 s\n');
    p.step({ loss: 1, correct: 1, examples: 4 }); // outside an epoch: ignored
    p.close();
    expect(out.text.split('\n')).toHaveLength(2);
  });

  it('ends a wait with end() too, once', () => {
    const [out, err, t] = [sink(), sink(), clock()];
    const p = new TrainingProgress({ out, err, now: t.now });
    const wait = p.begin('loading the flowers');
    t.at(250);
    wait.end();
    wait.end();
    p.close();
    expect(err.text).toBe('loading the flowers...\nloading the flowers... done in 250.00 ms\n');
    expect(out.text).toBe('');
  });
});

describe('TrainingProgress, on a terminal', () => {
  it('draws a bar on stderr, known or unknown totals, and ends with the epoch lines on stdout', () => {
    for (const err of [sink(true), sink()]) {
      const [out, t] = [sink(), clock()];
      const p = new TrainingProgress({ out, err, now: t.now, isTTY: true });
      p.epochBegin(0, 2, 3);
      p.begin('compiling the training step for 8 cores');
      for (let i = 1; i <= 3; i++) {
        t.at(i * 1000);
        p.step({ loss: 1 / i, correct: i, examples: 8 });
      }
      p.note('a note while the bar is up');
      p.epochEnd(0, { loss: 0.6, accuracy: 0.25 }, history([{ steps: 3, loss: 0.6, accuracy: 0.25, device: 0.002, host: 3 }]));
      p.epochBegin(1, 2); // unknown total: a spinner and a count
      p.step({ loss: 0.5, correct: 4, examples: 8 });
      p.epochEnd(1, { loss: 0.5, accuracy: 0.5 }, history([{ steps: 3, loss: 0.6, accuracy: 0.25, device: 0.002, host: 3 }, { steps: 1, loss: 0.5, accuracy: 0.5, device: 0.001, host: 1 }]));
      p.close();
      expect(err.text).toContain('epoch 1/2 [');
      expect(err.text).toContain('compiling the training step for 8 cores... done in 1.00 s\n');
      expect(err.text).toContain('a note while the bar is up\n');
      expect(err.text).toMatch(/epoch 2\/2 [|/\\-] \d+ steps/);
      expect(out.text.trimEnd().split('\n').at(-1)).toBe('epoch 2/2: 1 steps  loss 0.5000  accuracy 0.5000  tpu 1.00 ms  host 1.00 s');
    }
  });
});

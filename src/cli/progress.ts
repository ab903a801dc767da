/**
 * @module cli/progress
 * What `tpusim train` shows while it trains: a live line per epoch on stderr (a cli-progress
 * bar on a terminal, throttled plain lines otherwise), notes such as "compiling the training
 * step for 8 cores... done in 12.3 s", and one line per finished epoch on stdout.
 *
 * Imports cli-progress and layers (types only). Driven by `fit`'s callbacks:
 * `onEpochBegin -> epochBegin`, `onBatchEnd -> step`, `onEpochEnd -> epochEnd`.
 *
 * Invariants:
 * - stdout gets exactly one line per epoch (so `tpusim train > log` is the epoch table);
 *   everything live (bar, progress lines, notes) goes to stderr.
 * - an unknown or 0 step count never throws: the display counts steps without a bar or ETA.
 * - not on a terminal: a progress line at most every `intervalSeconds` (or every
 *   `everySteps` steps), never on an epoch's last known step (the epoch line follows).
 * - the terminal bar is stopped (its line cleared) before anything else is written to a
 *   stream, and `close()` leaves no timer running.
 * - images/s and ETA leave out the run's first step, which includes compiling the step.
 * - after an epoch with more to come, stderr says about how long the run has left: the
 *   epochs to go times the mean host time of this process's epochs, compile waits left out
 *   (a wait ends with the first step, so that step is left out too: an estimate).
 */
import { SingleBar } from 'cli-progress';
import type { History, Logs } from '../layers/index.ts';

/** The part of a stream the display writes to: `process.stdout`, any Writable, or a test fake. */
export interface TextStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** Terminal width (characters), when known. */
  readonly columns?: number;
}

/** Options of `TrainingProgress`. */
export interface ProgressOptions {
  /** Epoch lines. */
  readonly out: TextStream;
  /** The live display and notes. */
  readonly err: TextStream;
  /** Draw a terminal bar. Default: `err.isTTY`. */
  readonly isTTY?: boolean;
  /** Clock (milliseconds). Default `performance.now`. */
  readonly now?: () => number;
  /** Not a terminal: the least time between two progress lines (s). Default 5. */
  readonly intervalSeconds?: number;
  /** Not a terminal: also print a progress line every this many steps. Default: never. */
  readonly everySteps?: number;
}

/** What one training step reports (fit's `onBatchEnd` logs). */
export interface StepLogs {
  /** Mean loss of the step's batch. */
  readonly loss: number;
  /** Correctly classified examples of the batch. */
  readonly correct: number;
  /** Examples in the batch (the global batch). */
  readonly examples: number;
}

/** Running totals of the current epoch. */
interface EpochState {
  readonly epoch: number;
  readonly epochs: number;
  /** Steps in the epoch, or undefined when unknown (no bar, no ETA). */
  readonly total: number | undefined;
  steps: number;
  examples: number;
  lossSum: number;
  correct: number;
  /** Where images/s is measured from (after the run's first step, which compiles). */
  rateFrom: { ms: number; steps: number; examples: number };
  lastLineMs: number;
  /** When the last step ended: rates are measured up to it, so they hold still between steps. */
  lastStepMs: number;
  /** Seconds spent in `begin` waits (compiling) during the epoch. */
  waitedSeconds: number;
}

const SPINNER = ['|', '/', '-', '\\'];
const BAR_WIDTH = 24;

/**
 * A duration for people: `850 ns`, `12.30 us`, `4.56 ms`, `3.21 s`, `2 min 05 s`, `1 h 02 min`.
 * @example formatSeconds(0.01234) // '12.34 ms'
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const s = Math.abs(seconds);
  if (s === 0) return '0 s';
  if (s < 1e-6) return `${(seconds * 1e9).toFixed(0)} ns`;
  if (s < 1e-3) return `${(seconds * 1e6).toFixed(2)} us`;
  if (s < 1) return `${(seconds * 1e3).toFixed(2)} ms`;
  if (s < 60) return `${seconds.toFixed(2)} s`;
  const whole = Math.round(s);
  const sign = seconds < 0 ? '-' : '';
  if (whole < 3600) return `${sign}${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${sign}${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}

/** Where `epoch` is in the history (its last entry if the epoch is not there). */
function historyIndex(h: History, epoch: number): number {
  const found = h.epoch.lastIndexOf(epoch);
  return found >= 0 ? found : h.epoch.length - 1;
}

/**
 * `about 2 h 31 min left (36 more epochs)`: what is left of a run, from the host seconds of
 * the epochs this display has seen (compile waits already taken out); undefined at the end.
 */
export function timeLeftLine(epochsLeft: number, epochSeconds: readonly number[]): string | undefined {
  const known = epochSeconds.filter((s) => Number.isFinite(s) && s >= 0);
  if (epochsLeft < 1 || known.length === 0) return undefined;
  const mean = known.reduce((sum, s) => sum + s, 0) / known.length;
  return `about ${formatSeconds(epochsLeft * mean)} left (${epochsLeft} more epoch${epochsLeft === 1 ? '' : 's'})`;
}

/** A number with 4 decimals, or `-` when there is none yet. */
const fixed4 = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(4));

/**
 * The line printed when an epoch ends (`epoch` 0-based, as fit's callbacks give it).
 * @example epochLine({ epoch: 0, epochs: 3, logs, history })
 * // 'epoch 1/3: 40 steps  loss 1.2345  accuracy 0.5000  val_loss 1.1000  val_accuracy 0.5500  tpu 12.35 ms  host 3.21 s'
 */
export function epochLine(args: { readonly epoch: number; readonly epochs: number; readonly logs: Logs; readonly history: History }): string {
  const { epoch, epochs, logs, history: h } = args;
  const at = historyIndex(h, epoch);
  const parts = [`epoch ${epoch + 1}/${epochs}: ${h.steps[at] ?? 0} steps`, `loss ${fixed4(logs.loss)}`];
  if (logs.accuracy !== undefined) parts.push(`accuracy ${fixed4(logs.accuracy)}`);
  if (logs.val_loss !== undefined) parts.push(`val_loss ${fixed4(logs.val_loss)}`);
  if (logs.val_accuracy !== undefined) parts.push(`val_accuracy ${fixed4(logs.val_accuracy)}`);
  const device = h.deviceSeconds[at];
  const host = h.hostSeconds[at];
  if (device !== undefined) parts.push(`tpu ${formatSeconds(device)}`);
  if (host !== undefined) parts.push(`host ${formatSeconds(host)}`);
  return parts.join('  ');
}

/**
 * The live display of a training run; one per `fit`. Each method is safe to call in any
 * order (a step outside an epoch is ignored), and `close()` may be called more than once.
 * @example
 * const progress = new TrainingProgress({ out: process.stdout, err: process.stderr });
 * callbacks: [{
 *   onEpochBegin: (e) => { progress.epochBegin(e, epochs, stepsPerEpoch); if (e === 0) progress.begin('compiling the training step for 8 cores'); },
 *   onBatchEnd: (_s, logs) => progress.step(logs),
 *   onEpochEnd: (e, logs, h) => progress.epochEnd(e, logs, h),
 * }]
 * // ... finally: progress.close()
 */
export class TrainingProgress {
  private readonly out: TextStream;
  private readonly err: TextStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly everySteps: number | undefined;
  private state: EpochState | undefined;
  private bar: SingleBar | undefined;
  private waiting: { message: string; startMs: number } | undefined;
  private runSteps = 0;
  /** Host seconds of each epoch seen, less the waits (compiling) inside it. */
  private readonly epochSeconds: number[] = [];

  constructor(options: ProgressOptions) {
    this.out = options.out;
    this.err = options.err;
    this.tty = options.isTTY ?? options.err.isTTY === true;
    this.now = options.now ?? (() => performance.now());
    this.intervalMs = 1000 * (options.intervalSeconds ?? 5);
    this.everySteps = options.everySteps !== undefined && options.everySteps >= 1 ? Math.floor(options.everySteps) : undefined;
  }

  /** An epoch starts (`epoch` 0-based); `stepsInEpoch` undefined, 0 or not finite = unknown. */
  epochBegin(epoch: number, epochs: number, stepsInEpoch?: number): void {
    this.stopBar();
    const total = stepsInEpoch !== undefined && Number.isFinite(stepsInEpoch) && stepsInEpoch > 0 ? Math.floor(stepsInEpoch) : undefined;
    const ms = this.now();
    this.state = { epoch, epochs, total, steps: 0, examples: 0, lossSum: 0, correct: 0, rateFrom: { ms, steps: 0, examples: 0 }, lastLineMs: ms, lastStepMs: ms, waitedSeconds: 0 };
    if (this.tty) this.startBar();
  }

  /** A step finished. Ends a pending `begin` wait (the first step is what it waited for). */
  step(logs: StepLogs): void {
    this.endWait();
    const s = this.state;
    if (!s) return;
    s.steps++;
    s.examples += logs.examples;
    s.lossSum += logs.loss;
    s.correct += logs.correct;
    const ms = this.now();
    s.lastStepMs = ms;
    // NOTE: the run's first step includes compiling it; rates measured over it would be far too low.
    if (++this.runSteps === 1) s.rateFrom = { ms, steps: s.steps, examples: s.examples };
    if (this.bar) this.bar.update(s.steps);
    else if (!this.tty && this.lineDue(s, ms)) {
      s.lastLineMs = ms;
      this.err.write(`${this.plainLine(s)}\n`);
    }
  }

  /** An epoch ended: stops the bar and prints the epoch line on `out`. */
  epochEnd(epoch: number, logs: Logs, history: History): void {
    this.endWait();
    this.stopBar();
    const epochs = this.state?.epochs ?? history.epoch.length;
    const waited = this.state?.waitedSeconds ?? 0;
    this.state = undefined;
    this.out.write(`${epochLine({ epoch, epochs, logs, history })}\n`);
    const host = history.hostSeconds[historyIndex(history, epoch)];
    if (host !== undefined) this.epochSeconds.push(Math.max(0, host - waited));
    const left = timeLeftLine(epochs - (epoch + 1), this.epochSeconds);
    if (left) this.err.write(`${left}\n`);
  }

  /** A message on its own line of `err` (the bar, if any, is redrawn below it). */
  note(message: string): void {
    this.withBarCleared(() => this.err.write(`${message}\n`));
  }

  /**
   * Shows `message...` until `end()` (or the next step) and then how long it took:
   * `compiling the training step for 8 cores... done in 12.30 s`.
   */
  begin(message: string): { end(): void } {
    this.endWait();
    const wait = { message, startMs: this.now() };
    this.waiting = wait;
    if (this.bar) this.withBarCleared(() => {}); // draws the message now: a compile blocks the bar's timer
    else this.err.write(`${message}...\n`);
    return { end: () => (this.waiting === wait ? this.endWait() : undefined) };
  }

  /** Ends any wait, stops the bar (no timer left running). */
  close(): void {
    this.endWait();
    this.stopBar();
    this.state = undefined;
  }

  private endWait(): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = undefined;
    const seconds = (this.now() - w.startMs) / 1000;
    if (this.state) this.state.waitedSeconds += seconds;
    this.note(`${w.message}... done in ${formatSeconds(seconds)}`);
  }

  private lineDue(s: EpochState, ms: number): boolean {
    if (s.total !== undefined && s.steps >= s.total) return false;
    if (this.everySteps !== undefined && s.steps % this.everySteps === 0) return true;
    return ms - s.lastLineMs >= this.intervalMs;
  }

  /** Images/s and ETA (s) of the epoch so far, when they can be measured. */
  private rates(s: EpochState): { imagesPerSecond?: number; etaSeconds?: number } {
    const seconds = (s.lastStepMs - s.rateFrom.ms) / 1000;
    const steps = s.steps - s.rateFrom.steps;
    if (!(seconds > 0) || steps <= 0) return {};
    const imagesPerSecond = (s.examples - s.rateFrom.examples) / seconds;
    if (s.total === undefined) return { imagesPerSecond };
    return { imagesPerSecond, etaSeconds: (Math.max(0, s.total - s.steps) * seconds) / steps };
  }

  /** `loss 1.2345  accuracy 0.5000  183.2 img/s  ETA 14.00 s`, the parts known so far. */
  private stats(s: EpochState, separator: string): string {
    const { imagesPerSecond, etaSeconds } = this.rates(s);
    const parts = [`loss ${fixed4(s.steps > 0 ? s.lossSum / s.steps : undefined)}`, `accuracy ${fixed4(s.examples > 0 ? s.correct / s.examples : undefined)}`];
    parts.push(imagesPerSecond === undefined ? '- img/s' : `${imagesPerSecond.toFixed(1)} img/s`);
    if (s.total !== undefined) parts.push(`ETA ${etaSeconds === undefined ? '-' : formatSeconds(etaSeconds)}`);
    return parts.join(separator);
  }

  /** A progress line when stderr is not a terminal. */
  private plainLine(s: EpochState): string {
    const steps = s.total === undefined ? `${s.steps}` : `${s.steps}/${s.total}`;
    return `epoch ${s.epoch + 1}/${s.epochs} step ${steps}  ${this.stats(s, '  ')}`;
  }

  /** The terminal bar's line, drawn by cli-progress on every redraw. */
  private barLine(): string {
    const s = this.state;
    if (!s) return '';
    const head = `epoch ${s.epoch + 1}/${s.epochs}`;
    const count =
      s.total === undefined
        ? `${SPINNER[s.steps % SPINNER.length]} ${s.steps} steps`
        : `[${'#'.repeat(Math.round((BAR_WIDTH * Math.min(s.steps, s.total)) / s.total)).padEnd(BAR_WIDTH, '.')}] ${s.steps}/${s.total}`;
    const w = this.waiting;
    const tail = w ? `${w.message}... ${formatSeconds((this.now() - w.startMs) / 1000)}` : this.stats(s, ' | ');
    // a line that wrapped could not be redrawn in place; cut it to the terminal's width
    return `${head} ${count} | ${tail}`.slice(0, Math.max(20, (this.err.columns ?? 100) - 1));
  }

  private startBar(): void {
    const s = this.state;
    if (!s) return;
    const err = this.err;
    // NOTE: cli-progress draws only on a stream whose isTTY is true and calls write(data, callback);
    // this view makes an injected stream (tests, `isTTY: true`) behave as the terminal it stands for.
    const view = {
      isTTY: true,
      columns: err.columns ?? 100,
      write: (data: string, callback?: unknown) => {
        err.write(data);
        if (typeof callback === 'function') (callback as () => void)();
        return true;
      },
    };
    // NOTE: no hidden cursor and no line-wrap switch: a crash before close() leaves the terminal as it was.
    const options = { format: () => this.barLine(), stream: view as unknown as NodeJS.WritableStream, clearOnComplete: true, hideCursor: false, linewrap: true, fps: 10 };
    this.bar = new SingleBar(options);
    this.bar.start(s.total ?? 0, s.steps);
  }

  private stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** Runs `write` with the terminal bar's line cleared, then draws the bar again. */
  private withBarCleared(write: () => void): void {
    const redraw = this.bar !== undefined;
    this.stopBar();
    write();
    if (redraw) this.startBar();
  }
}

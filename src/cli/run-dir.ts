/**
 * @module cli/run-dir
 * A training run's folder: what `tpusim train --out RUN_DIR` writes and `--resume RUN_DIR`
 * reads. Every file is written atomically (temporary file, then rename), so a kill at any
 * moment leaves each file whole, old or new:
 *
 *   run.json             the run's settings (what --resume rebuilds the run from)
 *   history.json         per-epoch logs and timings so far
 *   curves.svg           training curves, loss and accuracy, train vs validation
 *   profile.md, .json    the simulated step's profile (cycles by op, units, all-reduce) and host speed
 *   checkpoints/epoch-NNNN.ckpt   after every epoch (the last two are kept)
 *   model/               the trained model in TensorFlow.js format (model.json and the weights-<hash>.bin
 *                        it lists, saved atomically as a whole: layers/save.ts), classes.json
 *
 * The folder is checked before any training starts: it must be new or empty, or (resuming)
 * a run folder; a path that exists as a file, or cannot be written, is refused with one line.
 *
 * Imports node:fs, layers (checkpoints, saving), ./errors.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../layers/checkpoint.ts';
import { UsageError } from './errors.ts';

/** Checkpoints kept (the newest; the one before it survives until the newest is whole). */
const KEEP_CHECKPOINTS = 2;

/** The settings a run was started with: enough to rebuild it for --resume. */
export interface RunSettings {
  readonly model: string;
  /** The transfer model's backbone folder (absolute). */
  readonly backbone?: string;
  /** Epochs after `epochs` with the backbone unfrozen, at `fineTuneLr`. */
  readonly unfreezeEpochs?: number;
  readonly fineTuneLr?: number;
  readonly data: string;
  readonly imageSize: number;
  readonly cores: number;
  readonly batchPerCore: number;
  readonly epochs: number;
  readonly stepsPerEpoch?: number;
  readonly validationSteps?: number;
  readonly count?: number;
  readonly limit?: number;
  readonly optimizer: string;
  readonly lr?: number;
  /** The learning rate's factor per epoch (absent: constant, as runs saved before it). */
  readonly lrDecay?: number;
  readonly precision: string;
  readonly engine: string;
  readonly seed: number;
  /** Random augmentation of the training images ('none' when absent: runs saved before it). */
  readonly augment?: string;
}

/** Writes `data` to `path` atomically: a temporary file in the same folder, then a rename (the temporary file is removed if either fails). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true }); // a failed write leaves nothing half-written beside the file
    } catch {
      // not a file of ours (a folder of that name): leave it, report the write's error
    }
    throw err;
  }
}

/** A run folder. */
export class RunDir {
  private constructor(readonly path: string) {}

  /**
   * A new run folder at `path` (created; it must not exist as a file, and if it exists it
   * must be empty), checked writable before any training starts.
   */
  static create(path: string): RunDir {
    if (existsSync(path)) {
      if (!statSync(path).isDirectory()) throw new UsageError(`--out ${path}: exists and is not a folder`);
      if (readdirSync(path).length > 0) throw new UsageError(`--out ${path}: the folder is not empty (use a new folder, or --resume ${path} to continue that run)`);
    }
    try {
      mkdirSync(join(path, 'checkpoints'), { recursive: true });
      accessSync(path, constants.W_OK);
      const probe = join(path, `.write-test-${process.pid}`);
      writeFileSync(probe, '');
      rmSync(probe);
    } catch (err) {
      throw new UsageError(`--out ${path}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return new RunDir(path);
  }

  /** An existing run folder (for --resume): it must hold run.json. */
  static open(path: string): RunDir {
    if (!existsSync(join(path, 'run.json'))) throw new UsageError(`--resume ${path}: not a run folder (no run.json)`);
    return new RunDir(path);
  }

  /** The run's settings, as written by `writeSettings`. */
  settings(): RunSettings {
    const file = join(this.path, 'run.json');
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { settings: RunSettings }).settings;
    } catch (err) {
      throw new UsageError(`${file}: unreadable (${(err as Error).message})`);
    }
  }

  writeSettings(settings: RunSettings, extra: Record<string, unknown> = {}): void {
    writeFileAtomic(join(this.path, 'run.json'), `${JSON.stringify({ settings, ...extra }, null, 2)}\n`);
  }

  /** Writes a text or binary file of the run atomically. */
  write(name: string, data: string | Uint8Array): string {
    const path = join(this.path, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, data);
    return path;
  }

  /** Writes the checkpoint after `c.epoch` epochs and drops all but the newest two. */
  saveCheckpoint(c: Checkpoint): string {
    const dir = join(this.path, 'checkpoints');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `epoch-${String(c.epoch).padStart(4, '0')}.ckpt`);
    writeCheckpoint(path, c);
    for (const old of this.checkpoints().slice(0, -KEEP_CHECKPOINTS)) rmSync(old, { force: true });
    return path;
  }

  /** Checkpoint files, oldest first. */
  checkpoints(): string[] {
    const dir = join(this.path, 'checkpoints');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => /^epoch-\d+\.ckpt$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  }

  /** The newest checkpoint that reads back whole (a damaged one is skipped), or null. */
  latestCheckpoint(): Checkpoint | null {
    for (const file of this.checkpoints().reverse()) {
      try {
        return readCheckpoint(file);
      } catch {
        // NOTE: only a file damaged outside tpusim can fail here (writes are atomic); the one before it is good
      }
    }
    return null;
  }
}

/**
 * @module layers/checkpoint
 * Training checkpoints: everything a run needs to continue with the same bits as if it had
 * never stopped: the weights, the optimizer's slots and step, the epochs done and their
 * history. One file per checkpoint, written atomically (a temporary file, fsync, then a
 * rename: a kill at any moment leaves the previous checkpoint whole), read back with every
 * field checked.
 *
 * File format (little-endian): the 8 bytes `TPUCKPT1`, a u32 header length, the header as
 * UTF-8 JSON ({ version, model, epoch, step, history, tensors: [{ name, shape, offset,
 * length }] }), then the f32 tensors' bytes at their offsets.
 *
 * Imports node:fs, ./model (type), ./training (History type), ./step (variable names), ./errors.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { LayerConfigError } from './errors.ts';
import type { Model } from './model.ts';
import type { History } from './training.ts';

const MAGIC = 'TPUCKPT1';

/** What a checkpoint holds. */
export interface Checkpoint {
  /** The model's name (a check against restoring into another model). */
  readonly model: string;
  /** Epochs completed. */
  readonly epoch: number;
  /** Optimizer steps taken. */
  readonly step: number;
  readonly history: History;
  /** Weights by full name (`conv2d/kernel`) and optimizer slots by variable name. */
  readonly weights: ReadonlyMap<string, Float32Array>;
  readonly slots: ReadonlyMap<string, Float32Array>;
}

/** A checkpoint file that cannot be read: names the file and what is wrong. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly userFacing = true;
}

interface TensorEntry {
  readonly name: string;
  readonly kind: 'weight' | 'slot';
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}

/** The checkpoint of a compiled model after `epoch` epochs (weights are the model's: sync them first). */
export async function checkpointOf(model: Model, epoch: number, history: History): Promise<Checkpoint> {
  const t = model.trainer;
  if (!t) throw new LayerConfigError(`model '${model.name}': compile() it before checkpointing`);
  const state = await t.exportState();
  return { model: model.name, epoch, step: state.step, history, weights: new Map(model.weights.map((w) => [w.fullName, w.value!.slice()])), slots: state.slots };
}

/** Writes a checkpoint to `path` atomically (temporary file + fsync + rename). */
export function writeCheckpoint(path: string, c: Checkpoint): void {
  const tensors: TensorEntry[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [kind, map] of [['weight', c.weights], ['slot', c.slots]] as const) {
    for (const [name, data] of map) {
      tensors.push({ name, kind, shape: [data.length], offset, length: data.length });
      parts.push(data);
      offset += data.length * 4;
    }
  }
  const header = Buffer.from(JSON.stringify({ version: 1, model: c.model, epoch: c.epoch, step: c.step, history: c.history, tensors }), 'utf8');
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 8);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, header);
    for (const p of parts) writeSync(fd, new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Reads a checkpoint, checking its magic, header and every tensor's bounds. */
export function readCheckpoint(path: string): Checkpoint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read the checkpoint (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const fail = (what: string): never => {
    throw new CheckpointError(`${path}: not a tpusim checkpoint (${what})`);
  };
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) fail('bad magic');
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) fail(`header of ${headerLength} bytes past the end of a ${bytes.length}-byte file`);
  let header: { version: number; model: string; epoch: number; step: number; history: History; tensors: TensorEntry[] };
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength));
  } catch {
    return fail('unreadable header');
  }
  if (header.version !== 1 || !Array.isArray(header.tensors) || !Number.isSafeInteger(header.epoch) || !Number.isSafeInteger(header.step)) fail('unknown header fields');
  const base = 12 + headerLength;
  const weights = new Map<string, Float32Array>();
  const slots = new Map<string, Float32Array>();
  for (const t of header.tensors) {
    const end = base + t.offset + 4 * t.length;
    if (!Number.isSafeInteger(t.offset) || !Number.isSafeInteger(t.length) || t.offset < 0 || end > bytes.length) fail(`tensor '${t.name}' past the end of the file`);
    const data = new Float32Array(t.length);
    new Uint8Array(data.buffer).set(bytes.subarray(base + t.offset, end));
    (t.kind === 'slot' ? slots : weights).set(t.name, data);
  }
  return { model: header.model, epoch: header.epoch, step: header.step, history: header.history, weights, slots };
}

/** Puts a checkpoint's weights into a compiled model and its optimizer state onto the device. */
export async function restoreCheckpoint(model: Model, c: Checkpoint): Promise<void> {
  const t = model.trainer;
  if (!t) throw new LayerConfigError(`model '${model.name}': compile() it before restoring a checkpoint`);
  if (c.model !== model.name) throw new CheckpointError(`the checkpoint is of model '${c.model}', not '${model.name}'`);
  for (const w of model.weights) {
    const v = c.weights.get(w.fullName);
    if (!v || v.length !== w.value!.length) throw new CheckpointError(`the checkpoint has no weight '${w.fullName}' of ${w.value!.length} values`);
    w.value = v.slice();
  }
  await t.importState({ step: c.step, slots: c.slots });
}

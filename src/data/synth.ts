/**
 * @module data/synth
 * Synthetic flowers: five classes the program draws itself, so training runs on a fresh
 * machine with no download. Imports ./random, ./image only.
 *
 * Classes (the flower_photos order): 0 daisy — white petals round a small yellow disc;
 * 1 dandelion — a dense yellow pom-pom of thin rays; 2 roses — a red-to-pink disc with a
 * dark spiral; 3 sunflowers — pointed orange-yellow petals round a large brown disc;
 * 4 tulips — a cup with three tips on a green stem. Each image varies (seeded) in position,
 * size, rotation, petal count, colour, background and noise, so a model has to learn shape
 * and colour, not memorise pixels. Same (seed, index, size) -> same pixels, everywhere.
 */
import { encodeJpeg, type Image } from './image.ts';
import { mixSeeds, Rng } from './random.ts';

/** The five class names, in the order of TensorFlow's flower_photos (and the codelab). */
export const FLOWER_CLASSES = ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips'] as const;

type Rgb = readonly [number, number, number];

/** Per-image random choices, drawn once before painting. */
interface Params {
  readonly cx: number;
  readonly cy: number;
  readonly radius: number;
  readonly angle: number;
  readonly petals: number;
  readonly main: Rgb;
  readonly accent: Rgb;
  readonly skyTop: Rgb;
  readonly ground: Rgb;
  readonly horizon: number;
}

function jitter(rng: Rng, c: Rgb, amount: number): Rgb {
  return [c[0] + rng.range(-amount, amount), c[1] + rng.range(-amount, amount), c[2] + rng.range(-amount, amount)];
}

const TULIP_COLOURS: readonly Rgb[] = [[225, 40, 120], [160, 50, 190], [240, 100, 40], [230, 60, 80]];

function drawParams(cls: number, rng: Rng): Params {
  const base = {
    cx: rng.range(-0.2, 0.2),
    cy: rng.range(-0.2, 0.2),
    radius: rng.range(0.45, 0.75),
    angle: rng.range(0, 2 * Math.PI),
    skyTop: jitter(rng, [120, 165, 215], 30),
    ground: jitter(rng, [80, 135, 55], 30),
    horizon: rng.range(-0.6, 0.4),
  };
  switch (cls) {
    case 0: return { ...base, petals: 10 + rng.int(7), main: jitter(rng, [245, 245, 238], 10), accent: jitter(rng, [235, 195, 35], 20) };
    case 1: return { ...base, petals: 40 + rng.int(20), main: jitter(rng, [250, 212, 30], 15), accent: jitter(rng, [215, 160, 10], 15) };
    case 2: return { ...base, petals: 5, main: jitter(rng, [200, 25, 45], 25), accent: jitter(rng, [110, 5, 20], 15) };
    case 3: return { ...base, petals: 14 + rng.int(9), main: jitter(rng, [252, 185, 20], 15), accent: jitter(rng, [85, 50, 20], 15) };
    default: return { ...base, radius: base.radius * 0.9, angle: rng.range(-0.3, 0.3), petals: 3, main: jitter(rng, TULIP_COLOURS[rng.int(4)]!, 20), accent: jitter(rng, [45, 135, 45], 15) };
  }
}

/** The flower's colour at (x, y) in flower units (centre 0, radius 1), or undefined for background. */
function paint(cls: number, p: Params, x: number, y: number): Rgb | undefined {
  const r = Math.sqrt(x * x + y * y);
  const th = Math.atan2(y, x) + p.angle;
  const wave = Math.abs(Math.cos((p.petals / 2) * th));
  switch (cls) {
    case 0: // daisy
      if (r < 0.28) return p.accent;
      return r < 0.35 + 0.65 * Math.sqrt(wave) ? shade(p.main, 1 - 0.15 * r) : undefined;
    case 1: // dandelion
      return r < 0.82 + 0.18 * wave ? shade(p.main, 0.8 + 0.2 * Math.cos(p.petals * th) * r) : undefined;
    case 2: // roses
      if (r > 0.92 + 0.08 * Math.cos(5 * th)) return undefined;
      return Math.cos(11 * Math.PI * r + 3 * th) > 0.55 ? p.accent : shade(p.main, 1.05 - 0.3 * r);
    case 3: // sunflowers
      if (r < 0.45) return shade(p.accent, (Math.floor(x * 24) + Math.floor(y * 24)) % 2 === 0 ? 1 : 0.75);
      return r < 0.5 + 0.5 * wave * wave ? p.main : undefined;
    default: // tulips, in a frame rotated by p.angle
      return tulip(p, x * Math.cos(p.angle) - y * Math.sin(p.angle), x * Math.sin(p.angle) + y * Math.cos(p.angle));
  }
}

function tulip(p: Params, x: number, y: number): Rgb | undefined {
  if (Math.abs(x) < 0.06 && y > 0.5 && y < 2) return p.accent; // stem
  const inCup = (x / 0.55) ** 2 + (y / 0.75) ** 2 < 1;
  const top = -0.45 + 0.25 * Math.abs(Math.sin((3 * Math.PI * x) / 1.1));
  return inCup && y > top ? shade(p.main, 1 - 0.25 * Math.abs(x)) : undefined;
}

function shade(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k];
}

/**
 * Draws one synthetic flower of class `cls` (0..4) as an RGB uint8 image.
 * @param seed any integer; the same (cls, size, seed) always gives the same image
 */
export function drawFlower(cls: number, size: number, seed: number): Image<Uint8Array> {
  if (!Number.isInteger(cls) || cls < 0 || cls >= FLOWER_CLASSES.length) throw new RangeError(`drawFlower: class must be 0..4, got ${cls}`);
  const rng = new Rng(seed);
  const p = drawParams(cls, rng);
  const noise = new Rng(mixSeeds(seed, 7));
  const data = new Uint8Array(size * size * 3);
  for (let py = 0; py < size; py++) {
    const v = ((py + 0.5) / size) * 2 - 1;
    const bg = v < p.horizon ? shade(p.skyTop, 1 - 0.2 * (v + 1)) : p.ground;
    for (let px = 0; px < size; px++) {
      const u = ((px + 0.5) / size) * 2 - 1;
      const c = paint(cls, p, (u - p.cx) / p.radius, (v - p.cy) / p.radius) ?? bg;
      const n = (noise.next() - 0.5) * 24;
      const o = 3 * (py * size + px);
      data[o] = clamp(c[0] + n);
      data[o + 1] = clamp(c[1] + n);
      data[o + 2] = clamp(c[2] + n);
    }
  }
  return { height: size, width: size, channels: 3, data };
}

function clamp(x: number): number {
  return x < 0 ? 0 : x > 255 ? 255 : Math.round(x);
}

/** The label and image seed of synthetic flower number `index` in a set seeded with `seed`. */
export function synthItem(seed: number, index: number): { label: number; imageSeed: number } {
  return { label: index % FLOWER_CLASSES.length, imageSeed: mixSeeds(seed, index) };
}

/** Synthetic flower `index` of a seeded set, as f32 HWC in [0, 1] with its label. */
export function synthFlowerF32(seed: number, index: number, size: number): { image: Float32Array; label: number } {
  const { label, imageSeed } = synthItem(seed, index);
  const img = drawFlower(label, size, imageSeed);
  const image = new Float32Array(img.data.length);
  for (let i = 0; i < image.length; i++) image[i] = img.data[i]! / 255;
  return { image, label };
}

/** Synthetic flower `index` of a seeded set, as JPEG bytes with its label. */
export function synthFlowerJpeg(seed: number, index: number, size: number, quality = 90): { jpeg: Uint8Array; label: number } {
  const { label, imageSeed } = synthItem(seed, index);
  return { jpeg: encodeJpeg(drawFlower(label, size, imageSeed), quality), label };
}

/** {@link synthFlowerF32} as a worker transform: `(index, { seed, size })`. */
export function synthFlowerIndexed(index: number, arg: { seed: number; size: number }): { image: Float32Array; label: number } {
  return synthFlowerF32(arg.seed, index, arg.size);
}

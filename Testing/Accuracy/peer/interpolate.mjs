// Runs the peer of Annotrace's slice interpolation — ITK's Morphological Contour Interpolation
// as OHIF and the web use it, @itk-wasm/morphological-contour-interpolation, under Node — on
// a NIfTI label map and writes the result.
//
//   node interpolate.mjs IN.nii.gz OUT.nii.gz [--label N] [--axis A] [--repeat R]
//
// --label 0 (default) interpolates every label; --axis is an ITK index axis (0, 1, 2; for a
// NIfTI file the file's voxel axes i, j, k, so axial slices of a usual label map are axis 2);
// -1 interpolates along all axes. Key slices are detected by the peer itself: for each label,
// the slices along the axis that hold it. Prints one JSON line:
//   {"label", "axis", "size", "compute_ms", "compute_ms_runs", "read_ms", "write_ms", "total_ms"}
// compute_ms is the first call of the interpolation (what a user waits for, wasm start-up
// included); compute_ms_runs lists every repeat. File reading and writing are excluded from it.
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { readImageNode, writeImageNode } from '@itk-wasm/image-io';
import { morphologicalContourInterpolationNode } from '@itk-wasm/morphological-contour-interpolation';
import { InterfaceTypes, runPipelineNode } from 'itk-wasm';

const started = performance.now();

function usage(message) {
  process.stderr.write(`${message}\nusage: node interpolate.mjs IN OUT [--label N] [--axis A] [--repeat R]\n`);
  process.exit(2);
}

const positional = [];
const options = { label: 0, axis: 2, repeat: 1 };
const argv = process.argv.slice(2);
for (let a = 0; a < argv.length; ++a) {
  const name = argv[a];
  if (name.startsWith('--')) {
    const key = name.slice(2);
    if (!(key in options) || a + 1 >= argv.length) usage(`unknown or incomplete option ${name}`);
    const value = Number(argv[++a]);
    if (!Number.isInteger(value)) usage(`${name} needs an integer`);
    options[key] = value;
  } else {
    positional.push(name);
  }
}
if (positional.length !== 2) usage('need an input and an output file');
if (options.axis < -1 || options.axis > 2) usage('--axis must be -1, 0, 1 or 2');
const [input, output] = positional;

// The generated Node wrapper only passes options that are truthy, so `axis: 0` silently becomes
// "all axes" (its default -1). For axis 0 call the same pipeline with the argument it drops.
async function interpolate(image) {
  if (options.axis !== 0) {
    const opts = { label: options.label };
    if (options.axis !== -1) opts.axis = options.axis;
    return (await morphologicalContourInterpolationNode(image, opts)).outputImage;
  }
  const moduleDir = path.dirname(
    fileURLToPath(import.meta.resolve('@itk-wasm/morphological-contour-interpolation')));
  const pipeline = path.join(moduleDir, 'pipelines', 'morphological-contour-interpolation');
  const args = ['0', '0', '--memory-io', '--axis', '0'];
  if (options.label) args.push('--label', String(options.label));
  const { returnValue, stderr, outputs } = await runPipelineNode(
    pipeline, args, [{ type: InterfaceTypes.Image }], [{ type: InterfaceTypes.Image, data: image }]);
  if (returnValue !== 0) throw new Error(stderr);
  return outputs[0].data;
}

const t0 = performance.now();
const image = await readImageNode(input);
const readMs = performance.now() - t0;

const runs = [];
let result = null;
for (let r = 0; r < Math.max(1, options.repeat); ++r) {
  const t = performance.now();
  result = await interpolate(image);
  runs.push(performance.now() - t);
}

const t1 = performance.now();
await writeImageNode(result, output);
const writeMs = performance.now() - t1;

process.stdout.write(JSON.stringify({
  label: options.label,
  axis: options.axis,
  size: image.size,
  component_type: image.imageType.componentType,
  compute_ms: runs[0],
  compute_ms_runs: runs,
  read_ms: readMs,
  write_ms: writeMs,
  total_ms: performance.now() - started,
}) + '\n');

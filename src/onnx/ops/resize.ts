// Resize and its predecessor Upsample. Opset 10's Resize and Upsample scale with
// asymmetric coordinates and floor for nearest (as ONNX Runtime reads them); opset 11
// added roi/sizes and the coordinate modes; opset 18 axes, antialias and the aspect-ratio policy.
// Scales must be known at import; sizes may be symbolic dims (stretch policy).
import { COORDINATE_MODES, NEAREST_MODES, type Dim } from '../../ir/index.js';
import type { NodeContext } from '../import/context.js';
import { defineImporter } from '../import/registry.js';

function emitResize(ctx: NodeContext, attrs: Record<string, string | number | boolean | Dim[]>): void {
  ctx.emit('Resize', [ctx.value(0)], attrs, 0);
}

function legacyMode(ctx: NodeContext): 'nearest' | 'linear' {
  const mode = ctx.attrs.string('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') ctx.badAttr('mode', mode);
  return mode === 'nearest' ? 'nearest' : 'linear';
}

/** Upsample and Resize-10: y = x scaled, asymmetric coordinates, nearest rounds down. */
function importLegacy(ctx: NodeContext, scales: number[]): void {
  emitResize(ctx, { mode: legacyMode(ctx), coordinateTransformationMode: 'asymmetric', nearestMode: 'floor', scales });
}

defineImporter('Upsample', {
  sinceVersion: 7,
  import: (ctx) => importLegacy(ctx, ctx.attrs.floats('scales') ?? ctx.fail("attribute 'scales' is required")),
});
defineImporter('Upsample', { sinceVersion: 9, import: (ctx) => importLegacy(ctx, ctx.numbers(1, 'scales')) });
defineImporter('Resize', { sinceVersion: 10, import: (ctx) => importLegacy(ctx, ctx.numbers(1, 'scales')) });

defineImporter('Resize', {
  sinceVersion: 11,
  import: (ctx) => {
    const mode = ctx.attrs.string('mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic') ctx.badAttr('mode', mode);
    const coord = ctx.attrs.string('coordinate_transformation_mode', 'half_pixel');
    if (!(COORDINATE_MODES as readonly string[]).includes(coord)) ctx.badAttr('coordinate_transformation_mode', coord);
    const nearest = ctx.attrs.string('nearest_mode', 'round_prefer_floor');
    if (!(NEAREST_MODES as readonly string[]).includes(nearest)) ctx.badAttr('nearest_mode', nearest);
    // ONNX ignores antialias for nearest; the IR rejects the combination, so drop it there.
    const antialias = ctx.attrs.int('antialias', 0) !== 0 && mode !== 'nearest';
    const given = (i: number, what: string) => (ctx.has(i) ? ctx.numbers(i, what) : []);
    // Sizes may be another tensor's symbolic dims (an FPN upsampling to the lateral's size).
    const sizes = ctx.has(3) ? ctx.dims(3, 'sizes') : [];
    const policy = ctx.attrs.string('keep_aspect_ratio_policy', 'stretch');
    emitResize(ctx, {
      mode,
      coordinateTransformationMode: coord,
      nearestMode: nearest,
      scales: given(2, 'scales'),
      sizes,
      axes: ctx.attrs.ints('axes', []),
      keepAspectRatioPolicy: policy,
      cubicCoeffA: ctx.attrs.float('cubic_coeff_a', -0.75),
      excludeOutside: ctx.attrs.int('exclude_outside', 0) !== 0,
      antialias,
    });
  },
});

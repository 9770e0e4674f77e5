// Camera pixels -> the network's input, as the server makes it (pose/network/spec.py's
// preprocess: OpenCV's area averaging when shrinking, then BGR floats 0-255).
//
// The browser's own canvas scaling is not OpenCV's, and at 192x144 a different resampling
// moves joints by pixels; this is OpenCV's INTER_AREA rule (cv::resize, computeResizeAreaTab)
// so the page and the server feed the network the same numbers (within one grey level:
// float32 against float64 sums): each output pixel is the mean of the source area it covers,
// partly covered source pixels weighted by the covered fraction.

const tables = new Map(); // "ssize:dsize" -> table; crops change size, so keep a few

/**
 * The weights of one axis: entries (dst index, src index, weight), dst ascending, as
 * OpenCV's computeResizeAreaTab lists them. Returns {dst, src, alpha: typed arrays, count}.
 */
function areaTable(ssize, dsize) {
  const key = `${ssize}:${dsize}`;
  let table = tables.get(key);
  if (table) return table;
  const scale = ssize / dsize;
  const dst = new Int32Array(ssize * 2 + 2), src = new Int32Array(ssize * 2 + 2);
  const alpha = new Float64Array(ssize * 2 + 2);
  let k = 0;
  const add = (d, s, a) => { dst[k] = d; src[k] = s; alpha[k] = a; k++; };
  for (let d = 0; d < dsize; d++) {
    const f1 = d * scale, f2 = f1 + scale;
    const cell = Math.min(scale, ssize - f1);
    const s2 = Math.min(Math.floor(f2), ssize - 1);
    const s1 = Math.min(Math.ceil(f1), s2);
    if (s1 - f1 > 1e-3) add(d, s1 - 1, (s1 - f1) / cell);
    for (let s = s1; s < s2; s++) add(d, s, 1 / cell);
    if (f2 - s2 > 1e-3) add(d, s2, Math.min(f2 - s2, 1, cell) / cell);
  }
  table = { dst, src, alpha, count: k };
  if (tables.size > 16) tables.clear();
  tables.set(key, table);
  return table;
}

let rowBuffer = new Float64Array(0), sumBuffer = new Float64Array(0);

/**
 * Area-average an RGBA image (Uint8ClampedArray, sh x sw x 4, row-major) to dw x dh and
 * write it into `out` (Float32Array, dh x dw x 3) as BGR 0-255, each value rounded to an
 * integer as OpenCV's uint8 result is. Shrinking only (dw <= sw, dh <= sh).
 */
export function areaResize(rgba, sw, sh, dw, dh, out) {
  const xt = areaTable(sw, dw), yt = areaTable(sh, dh);
  if (rowBuffer.length < dw * 3) { rowBuffer = new Float64Array(dw * 3); sumBuffer = new Float64Array(dw * 3); }
  const row = rowBuffer, sum = sumBuffer;
  sum.fill(0, 0, dw * 3);
  let lastSrc = -1, current = yt.dst[0];
  const flush = (dy) => {
    for (let i = 0, o = dy * dw * 3; i < dw * 3; i += 3, o += 3) {
      out[o] = Math.round(sum[i + 2]); out[o + 1] = Math.round(sum[i + 1]); out[o + 2] = Math.round(sum[i]);
    }
    sum.fill(0, 0, dw * 3);
  };
  for (let e = 0; e < yt.count; e++) {
    const dy = yt.dst[e], sy = yt.src[e], beta = yt.alpha[e];
    if (dy !== current) { flush(current); current = dy; }
    if (sy !== lastSrc) { horizontal(rgba, sy * sw * 4, xt, row, dw); lastSrc = sy; }
    for (let i = 0; i < dw * 3; i++) sum[i] += beta * row[i];
  }
  flush(current);
}

/** One source row (starting at byte `base`) averaged along x into row (dw x 3, RGB). */
function horizontal(rgba, base, xt, row, dw) {
  row.fill(0, 0, dw * 3);
  const { dst, src, alpha, count } = xt;
  for (let e = 0; e < count; e++) {
    const o = dst[e] * 3, s = base + src[e] * 4, a = alpha[e];
    row[o] += a * rgba[s]; row[o + 1] += a * rgba[s + 1]; row[o + 2] += a * rgba[s + 2];
  }
}

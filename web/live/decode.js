// Network output -> people, in the page: the JavaScript twin of pose/photo/paf.py's decode_multi.
//
// One specification, two implementations: the tables (limbs, PAF channels) and the settings
// come from the server's /live/spec.json (ui/live_assets.py reads them from pose.skeleton and
// pose.paf.DEFAULT_PARAMS), and tests/model/test_live_decoder.py runs this file in node on
// network outputs of eval photos and checks its people against the Python decoder's.
// Step for step as pose/photo/paf.py: heatmap peaks (3x3 local maxima, parabola sub-cell offsets,
// strongest first), each limb's candidate pairs scored by the PAF line integral, greedy
// one-to-one matching best first, chaining along the skeleton tree, then the people filter.
//
// Layout: `output` is the network's Float32Array (1, h, w, 57) channel-last: channels 0-17
// joint heatmaps, 18 background, 19-56 the PAFs. Coordinates are heatmap cells (col, row)
// until the end, where cell (i, j) is pixel ((j + 0.5) * sx, (i + 0.5) * sy).

const HEATMAPS = 19;

/** Check that the settings are the ones this implementation follows. */
export function checkSpec(spec) {
  const p = spec.params;
  if (p.upsample !== 1 || p.sigma !== 0 || p.nms_size % 2 !== 1) {
    throw new Error(`decode.js follows upsample 1, sigma 0 and an odd NMS window; got ${JSON.stringify(p)}`);
  }
}

/**
 * Local maxima of each joint heatmap.
 * Returns numJoints arrays of peaks {x, y, score} (cells, sub-cell), strongest first, at most
 * params.max_peaks each; ties keep row-major order (as NumPy's stable sort does).
 */
export function findPeaks(output, height, width, channels, threshold, spec) {
  const { params, numJoints } = spec;
  const half = (params.nms_size - 1) >> 1;
  const at = (r, c, j) => output[(r * width + c) * channels + j];
  const peaks = [];
  for (let j = 0; j < numJoints; j++) {
    const found = [];
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const v = at(r, c, j);
        if (!(v >= threshold && v > 0)) continue;
        let isMax = true;
        for (let dr = -half; dr <= half && isMax; dr++) {
          const rr = r + dr;
          if (rr < 0 || rr >= height) continue;
          for (let dc = -half; dc <= half; dc++) {
            const cc = c + dc;
            if (cc < 0 || cc >= width) continue;
            if (at(rr, cc, j) > v) { isMax = false; break; }
          }
        }
        if (!isMax) continue;
        let dx = 0, dy = 0;
        if (params.subpixel) {
          if (c > 0 && c < width - 1) dx = parabola(at(r, c - 1, j), v, at(r, c + 1, j));
          if (r > 0 && r < height - 1) dy = parabola(at(r - 1, c, j), v, at(r + 1, c, j));
        }
        found.push({ x: c + dx, y: r + dy, score: v });
      }
    }
    found.sort((a, b) => b.score - a.score); // stable: ties stay row-major
    peaks.push(found.slice(0, params.max_peaks));
  }
  return peaks;
}

/** Vertex offset in [-0.5, 0.5] of the parabola through three samples (0 if not a peak). */
function parabola(left, centre, right) {
  const curvature = Math.fround(Math.fround(left - Math.fround(2 * centre)) + right);
  if (!(curvature < 0)) return 0;
  const offset = (0.5 * (left - right)) / curvature;
  return Math.min(0.5, Math.max(-0.5, offset));
}

/** Bilinear sample of channels (cx, cy) at float cell (x, y); edges clamp. */
function sample(output, height, width, channels, cx, cy, x, y) {
  x = Math.min(Math.max(x, 0), width - 1);
  y = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.min(Math.floor(x), width > 1 ? width - 2 : 0);
  const y0 = Math.min(Math.floor(y), height > 1 ? height - 2 : 0);
  const fx = x - x0, fy = y - y0;
  const right = width > 1 ? channels : 0;
  const down = height > 1 ? width * channels : 0;
  const base = (y0 * width + x0) * channels;
  const bilinear = (ch) => {
    const tl = output[base + ch], tr = output[base + right + ch];
    const bl = output[base + down + ch], br = output[base + down + right + ch];
    const top = tl * (1 - fx) + tr * fx;
    const bottom = bl * (1 - fx) + br * fx;
    return top * (1 - fy) + bottom * fy;
  };
  return [bilinear(cx), bilinear(cy)];
}

/**
 * Score every (start, end) pair of one limb: the mean field component along the segment,
 * minus a penalty past half the map height; -Infinity where it is not a limb.
 * Returns {score, i, j} for the valid pairs, best first, ties row-major.
 */
export function scoreLimb(starts, ends, output, height, width, channels, pafPair, params) {
  const [cx, cy] = [HEATMAPS + pafPair[0], HEATMAPS + pafPair[1]];
  const n = params.paf_samples;
  const pairs = [];
  for (let i = 0; i < starts.length; i++) {
    for (let j = 0; j < ends.length; j++) {
      const a = starts[i], b = ends[j];
      const dx = Math.fround(b.x - a.x), dy = Math.fround(b.y - a.y);
      const length = Math.fround(Math.sqrt(dx * dx + dy * dy));
      if (!(length > 1e-6)) continue;
      const ux = dx / length, uy = dy / length;
      let sum = 0, on = 0;
      for (let s = 0; s < n; s++) {
        const t = n > 1 ? Math.fround(s / (n - 1)) : 0;
        const [fx, fy] = sample(output, height, width, channels, cx, cy,
          Math.fround(a.x + dx * t), Math.fround(a.y + dy * t));
        const along = fx * ux + fy * uy;
        sum += along;
        if (along > params.paf_threshold) on++;
      }
      const penalty = Math.min((0.5 * height) / length - 1, 0);
      const score = sum / n + penalty;
      if (on / n >= params.paf_min_fraction && score > 0) pairs.push({ score: Math.fround(score), i, j });
    }
  }
  pairs.sort((p, q) => q.score - p.score); // stable: ties stay row-major
  return pairs;
}

/** Greedy one-to-one matching of scored pairs, best first: [{i, j, score}]. */
export function matchLimb(pairs, na, nb) {
  const usedStart = new Set(), usedEnd = new Set();
  const found = [];
  for (const { i, j, score } of pairs) {
    if (usedStart.has(i) || usedEnd.has(j)) continue;
    usedStart.add(i);
    usedEnd.add(j);
    found.push({ i, j, score });
    if (usedStart.size === na || usedEnd.size === nb) break;
  }
  return found;
}

/** Chain matched limbs into people: [{members: peak index per joint (-1 none), total}]. */
export function assemble(peaks, output, height, width, channels, spec) {
  const { limbs, pafChannels, params, numJoints } = spec;
  const treeLimbs = limbs.length - 2; // the shoulder-ear limbs never start a person
  const members = [], totals = [];
  const owner = Array.from({ length: numJoints }, () => new Map());
  limbs.forEach(([ja, jb], limb) => {
    const pairs = scoreLimb(peaks[ja], peaks[jb], output, height, width, channels, pafChannels[limb], params);
    for (const { i, j, score } of matchLimb(pairs, peaks[ja].length, peaks[jb].length)) {
      const pa = owner[ja].get(i), pb = owner[jb].get(j);
      if (pa !== undefined && pb !== undefined) {
        if (pa === pb) continue;
        const into = Math.min(pa, pb), merged = Math.max(pa, pb);
        const a = members[into], b = members[merged];
        if (a.some((peak, joint) => peak >= 0 && b[joint] >= 0)) continue;
        b.forEach((peak, joint) => {
          if (peak >= 0) { a[joint] = peak; owner[joint].set(peak, into); }
        });
        members[merged] = new Array(numJoints).fill(-1);
        totals[into] += totals[merged] + score;
        totals[merged] = 0;
      } else if (pa !== undefined || pb !== undefined) {
        const person = pa !== undefined ? pa : pb;
        const [joint, peak] = pa !== undefined ? [jb, j] : [ja, i];
        if (members[person][joint] >= 0) continue;
        members[person][joint] = peak;
        owner[joint].set(peak, person);
        totals[person] += peaks[joint][peak].score + score;
      } else if (limb < treeLimbs) {
        const row = new Array(numJoints).fill(-1);
        row[ja] = i;
        row[jb] = j;
        owner[ja].set(i, members.length);
        owner[jb].set(j, members.length);
        members.push(row);
        totals.push(Math.fround(peaks[ja][i].score + peaks[jb][j].score) + score);
      }
    }
  });
  return members
    .map((row, n) => ({ members: row, total: totals[n] }))
    .filter(({ members: row }) => row.some((peak) => peak >= 0));
}

/**
 * People in the order they are numbered everywhere (pose.types.number_people): largest
 * first by the area of their found joints' box, equal areas by score. The live view numbers
 * people by track ID instead; the order matters to whoever takes "person 1".
 */
export function numberPeople(people) {
  const area = ({ keypoints }) => {
    const shown = keypoints.filter((p) => p[2] > 0);
    if (!shown.length) return 0;
    const xs = shown.map((p) => p[0]), ys = shown.map((p) => p[1]);
    return (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
  };
  // Stable, so exact ties keep the decoder's order, as Python's sorted does.
  return people.map((p) => [area(p), p]).sort((a, b) => b[0] - a[0] || b[1].score - a[1].score).map(([, p]) => p);
}

/**
 * Every person in one network output, best first.
 * scale: [sx, sy] cell size in pixels; offset: [ox, oy] added to pixels (a crop's origin).
 * Returns [{keypoints: [[x, y, conf] x numJoints] (conf 0: not found), score}].
 */
export function decodeMulti(output, height, width, channels, scale, threshold, spec, offset = [0, 0]) {
  checkSpec(spec);
  const { params, numJoints } = spec;
  const peaks = findPeaks(output, height, width, channels, threshold, spec);
  const people = [];
  for (const { members, total } of assemble(peaks, output, height, width, channels, spec)) {
    const count = members.filter((peak) => peak >= 0).length;
    if (count < params.min_parts || total / count < params.min_mean_score) continue;
    let sum = 0;
    const keypoints = members.map((peak, joint) => {
      if (peak < 0) return [0, 0, 0];
      const p = peaks[joint][peak];
      const conf = Math.min(Math.max(p.score, 0), 1);
      sum += conf;
      return [offset[0] + (p.x + 0.5) * scale[0], offset[1] + (p.y + 0.5) * scale[1], conf];
    });
    people.push({ keypoints, score: (sum / count) * (count / numJoints) });
  }
  return people.sort((a, b) => b.score - a.score);
}

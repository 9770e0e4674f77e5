// Live matching in the page: the largest person against the reference photo's person 1,
// by pose/match's default "normalized" method (pose/match/align.py and methods.py): the
// joints found in both, weighted by the geometric mean of their confidences; a weighted
// robust Procrustes fit (centre, body size, in-plane rotation within the bound, Cauchy
// refits); each joint scores 100 * (1 - distance / tolerance) in body sizes. "Either side"
// also tries the left/right-swapped person and keeps the better. The numbers (tolerance,
// bound, refits, verdicts) come from /live/spec.json, read from pose.match.

const EPS = 1e-9;

function bbox(keypoints) {
  const shown = keypoints.filter((p) => p[2] > 0);
  if (!shown.length) return [0, 0, 0, 0];
  const xs = shown.map((p) => p[0]), ys = shown.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

const area = (keypoints) => { const [x0, y0, x1, y1] = bbox(keypoints); return (x1 - x0) * (y1 - y0); };

/** The left/right-swapped keypoints, reflected about their box's centre. */
function mirrored(keypoints, mirror) {
  const [x0, , x1] = bbox(keypoints);
  return mirror.map((source) => {
    const [x, y, c] = keypoints[source];
    return c > 0 ? [x0 + x1 - x, y, c] : [x, y, c];
  });
}

/** Normalized similarity of `second` to `first` (keypoint lists), or a problem string. */
function normalized(first, second, m) {
  const shared = [];
  first.forEach((p, j) => { if (p[2] > 0 && second[j][2] > 0) shared.push(j); });
  if (shared.length < m.minShared) return { problem: `Only ${shared.length} joints were found in both poses; matching needs at least ${m.minShared}.` };
  const weights = shared.map((j) => Math.sqrt(first[j][2] * second[j][2]));
  const bound = (m.maxRotation * Math.PI) / 180;
  let fit = weights.slice(), p = [], q = [];
  for (let iteration = 0; iteration <= m.iterations; iteration++) {
    const total = fit.reduce((s, w) => s + w, 0);
    if (!(total > EPS)) return { problem: "The joints found in both poses all have zero confidence." };
    const centre = (pose) => [0, 1].map((k) => shared.reduce((s, j, n) => s + fit[n] * pose[j][k], 0) / total);
    const c1 = centre(first), c2 = centre(second);
    p = shared.map((j) => [first[j][0] - c1[0], first[j][1] - c1[1]]);
    q = shared.map((j) => [second[j][0] - c2[0], second[j][1] - c2[1]]);
    const size = (pts) => Math.sqrt(pts.reduce((s, v, n) => s + fit[n] * (v[0] * v[0] + v[1] * v[1]), 0) / total);
    const s1 = size(p), s2 = size(q);
    if (!(s1 > EPS && s2 > EPS)) return { problem: "The joints found in both poses lie on one point; cannot compare." };
    p = p.map(([x, y]) => [x / s1, y / s1]);
    q = q.map(([x, y]) => [x / s2, y / s2]);
    let dot = 0, cross = 0;
    p.forEach((a, n) => { dot += fit[n] * (a[0] * q[n][0] + a[1] * q[n][1]); cross += fit[n] * (a[1] * q[n][0] - a[0] * q[n][1]); });
    const angle = Math.min(Math.max(Math.atan2(cross, dot), -bound), bound);
    const cos = Math.cos(angle), sin = Math.sin(angle);
    q = q.map(([x, y]) => [x * cos - y * sin, x * sin + y * cos]);
    if (iteration < m.iterations) {
      fit = weights.map((w, n) => w / (1 + (Math.hypot(p[n][0] - q[n][0], p[n][1] - q[n][1]) / m.robustScale) ** 2));
    }
  }
  const items = shared.map((joint, n) => {
    const distance = Math.hypot(p[n][0] - q[n][0], p[n][1] - q[n][1]);
    return { joint, distance, score: 100 * Math.min(Math.max(1 - distance / m.tolerance, 0), 1), weight: weights[n] };
  });
  const similarity = items.reduce((s, it) => s + it.weight * it.score, 0) / items.reduce((s, it) => s + it.weight, 0);
  items.sort((a, b) => a.score - b.score || b.distance - a.distance || a.joint - b.joint);
  return { similarity, items };
}

/**
 * The live match: {similarity (percent) | null, verdict, mirrored, worst: [[person, joint]]
 * to ring on the live person, worstNames, problem}. `people`: this frame's people;
 * `eitherSide`: also try the left/right-swapped person.
 */
export function matchLive(people, reference, spec, eitherSide = true) {
  const m = spec.match;
  if (!people.length) return { similarity: null, problem: "No person in view.", worst: [] };
  const person = people.reduce((best, p) => (area(p.keypoints) > area(best.keypoints) ? p : best));
  let result = normalized(reference, person.keypoints, m), mirror = false;
  if (eitherSide) {
    const swapped = normalized(reference, mirrored(person.keypoints, spec.mirror), m);
    if (swapped.items && (!result.items || swapped.similarity > result.similarity)) { result = swapped; mirror = true; }
  }
  if (!result.items) return { similarity: null, problem: result.problem, worst: [] };
  const verdict = m.verdicts.find(([floor]) => result.similarity >= floor)?.[1] ?? m.verdicts.at(-1)[1];
  // Named on the live person's own body: with the swapped fit, the reference's left is their right.
  const worst = result.items.slice(0, 3).filter((it) => it.score < m.worstBelow)
    .map((it) => (mirror ? spec.mirror[it.joint] : it.joint));
  return {
    similarity: result.similarity, verdict, mirrored: mirror, problem: "",
    worst: worst.map((joint) => [person, joint]),
    worstNames: worst.map((joint) => spec.joints[joint]),
  };
}

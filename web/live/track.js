// Stable IDs and steady joints across live frames, in the page: pose/video/track.py's and
// pose/video/smoothing.py's rules in a lighter form (a person is a {keypoints: [[x, y, conf] x 18]}
// in frame pixels; conf 0 = not found; times in seconds).
//
// Tracking: each track predicts its joints at its measured speed; people are assigned to
// tracks cheapest first (greedy instead of pose/video/track.py's Hungarian assignment: a webcam
// holds one to a few people, where both choose the same pairs) by the mean joint distance in
// body heights, within 0.3 body heights for tracks seen last frame and a gate widening by
// 0.3 per second lost for the others; anyone left starts a new ID; tracks end after 1 s.
// Smoothing: the One Euro filter (min cut-off 1 Hz, beta 5, derivative cut-off 1 Hz) per
// track and joint, on positions in units of the frame's longest side, as PoseSmoother.

const TRACK = { maxCost: 0.3, gateGrowth: 0.3, newJointCost: 0.5, maxAge: 1.0, memory: 0.5,
  velocityWeight: 0.5, maxSpeed: 3.0 };
const EURO = { minCutoff: 1.0, beta: 5.0, dCutoff: 1.0 };
// (joint, joint, fraction of standing height): pose/video/track.py's _BODY_RATIOS.
const BODY_RATIOS = [[1, 8, 0.30], [1, 11, 0.30], [8, 9, 0.245], [11, 12, 0.245],
  [9, 10, 0.246], [12, 13, 0.246], [2, 3, 0.186], [5, 6, 0.186], [3, 4, 0.146],
  [6, 7, 0.146], [1, 2, 0.129], [1, 5, 0.129], [1, 0, 0.11]];

const found = (p) => p[2] > 0;

/** Rough standing height in pixels from the limbs found (median guess), or null. */
export function limbHeight(keypoints) {
  const guesses = [];
  for (const [a, b, ratio] of BODY_RATIOS) {
    if (found(keypoints[a]) && found(keypoints[b])) {
      guesses.push(Math.hypot(keypoints[a][0] - keypoints[b][0], keypoints[a][1] - keypoints[b][1]) / ratio);
    }
  }
  if (!guesses.length) return null;
  guesses.sort((x, y) => x - y);
  const mid = guesses.length >> 1;
  const median = guesses.length % 2 ? guesses[mid] : (guesses[mid - 1] + guesses[mid]) / 2;
  return Math.max(median, 1);
}

function bodyHeight(keypoints) {
  const height = limbHeight(keypoints);
  if (height !== null) return height;
  const points = keypoints.filter(found);
  if (!points.length) return 1;
  const span = (axis) => Math.max(...points.map((p) => p[axis])) - Math.min(...points.map((p) => p[axis]));
  return Math.max(3 * Math.max(span(0), span(1)), 1);
}

export class Tracker {
  constructor() { this.tracks = []; this.nextId = 1; this.lastTime = null; }

  /** IDs for the people of the frame taken at `time`, in the order given. */
  update(people, time) {
    if (this.lastTime !== null && time < this.lastTime) this.tracks = [];
    const previous = this.lastTime;
    this.tracks = this.tracks.filter((t) => time - t.lastSeen <= TRACK.maxAge);
    const pairs = [];
    this.tracks.forEach((track, row) => {
      const ahead = Math.min(Math.max(time - track.lastSeen, 0), TRACK.maxAge);
      const gate = TRACK.maxCost + (track.lastSeen === previous ? 0 : TRACK.gateGrowth * (time - track.lastSeen));
      people.forEach((person, col) => {
        let distance = 0, shared = 0, fresh = 0;
        person.keypoints.forEach((p, joint) => {
          if (!found(p)) return;
          const known = track.keypoints[joint];
          if (!found(known)) { fresh++; return; }
          const px = known[0] + track.velocity[0] * ahead, py = known[1] + track.velocity[1] * ahead;
          distance += Math.hypot(p[0] - px, p[1] - py) / track.height;
          shared++;
        });
        if (!shared) return;
        const cost = (distance + TRACK.newJointCost * fresh) / (shared + fresh);
        // Tracks seen in the previous frame are served first, as pose/video/track.py's stage 1.
        if (cost <= gate) pairs.push({ cost, row, col, recent: track.lastSeen === previous });
      });
    });
    pairs.sort((a, b) => (b.recent - a.recent) || (a.cost - b.cost));
    const owner = new Map(), taken = new Set();
    for (const { row, col } of pairs) {
      if (owner.has(col) || taken.has(row)) continue;
      owner.set(col, row);
      taken.add(row);
    }
    const ids = people.map((person, col) => {
      if (owner.has(col)) {
        const track = this.tracks[owner.get(col)];
        this.follow(track, person.keypoints, time);
        return track.id;
      }
      const track = { id: this.nextId++, keypoints: person.keypoints.map((p) => p.slice()),
        jointTimes: person.keypoints.map((p) => (found(p) ? time : -Infinity)),
        velocity: [0, 0], height: bodyHeight(person.keypoints), lastSeen: time, hits: 1 };
      this.tracks.push(track);
      return track.id;
    });
    this.lastTime = time;
    return ids;
  }

  follow(track, keypoints, time) {
    const dt = time - track.lastSeen;
    let sx = 0, sy = 0, n = 0;
    keypoints.forEach((p, joint) => {
      if (found(p) && found(track.keypoints[joint])) {
        sx += p[0] - track.keypoints[joint][0]; sy += p[1] - track.keypoints[joint][1]; n++;
      }
    });
    const shift = n ? [sx / n, sy / n] : [0, 0];
    if (n && dt > 0) {
      const w = track.hits > 1 ? TRACK.velocityWeight : 1;
      let vx = (w * shift[0]) / dt + (1 - w) * track.velocity[0];
      let vy = (w * shift[1]) / dt + (1 - w) * track.velocity[1];
      const limit = TRACK.maxSpeed * track.height, speed = Math.hypot(vx, vy);
      if (speed > limit) { vx *= limit / speed; vy *= limit / speed; }
      track.velocity = [vx, vy];
    }
    track.keypoints = keypoints.map((p, joint) => {
      if (found(p)) { track.jointTimes[joint] = time; return p.slice(); }
      const old = track.keypoints[joint];
      const stale = time - track.jointTimes[joint] > TRACK.memory;
      return [old[0] + shift[0], old[1] + shift[1], stale ? 0 : old[2]];
    });
    const height = limbHeight(keypoints);
    if (height !== null) track.height = 0.7 * track.height + 0.3 * height;
    track.lastSeen = time;
    track.hits++;
  }
}

const alpha = (cutoff, dt) => 1 / (1 + 1 / (2 * Math.PI * cutoff) / dt);

/** One Euro filters per track ID (PoseSmoother with the tracker's IDs). */
export class Smoother {
  constructor() { this.tracks = new Map(); }

  reset() { this.tracks.clear(); }

  /** Smoothed copies of `people` (same order); `ids` from Tracker.update; size [w, h]. */
  update(people, ids, time, size) {
    const unit = Math.max(size[0], size[1]) || 1;
    for (const [id, t] of this.tracks) if (time - t.time > 0.5) this.tracks.delete(id);
    return people.map((person, index) => {
      const id = ids[index];
      const value = person.keypoints.map((p) => [p[0] / unit, p[1] / unit]);
      const present = person.keypoints.map(found);
      const state = this.tracks.get(id);
      let next;
      if (!state) {
        next = { value: value.map((v, j) => (present[j] ? v : [0, 0])), speed: value.map(() => [0, 0]), valid: present, time };
      } else {
        const dt = time - state.time;
        next = { value: [], speed: [], valid: present, time: dt > 0 ? time : state.time };
        value.forEach((v, j) => {
          const tracked = present[j] && state.valid[j];
          if (!tracked) { next.value.push(present[j] ? v : [0, 0]); next.speed.push([0, 0]); return; }
          if (dt <= 0) { next.value.push(state.value[j]); next.speed.push(state.speed[j]); return; }
          const out = [], speeds = [];
          for (let k = 0; k < 2; k++) {
            const raw = (v[k] - state.value[j][k]) / dt;
            const speed = alpha(EURO.dCutoff, dt) * raw + (1 - alpha(EURO.dCutoff, dt)) * state.speed[j][k];
            const a = alpha(EURO.minCutoff + EURO.beta * Math.abs(speed), dt);
            out.push(a * v[k] + (1 - a) * state.value[j][k]);
            speeds.push(speed);
          }
          next.value.push(out);
          next.speed.push(speeds);
        });
      }
      this.tracks.set(id, next);
      const keypoints = person.keypoints.map((p, j) => (present[j] ? [next.value[j][0] * unit, next.value[j][1] * unit, p[2]] : p));
      return { ...person, keypoints };
    });
  }
}

// Which whole-frame input the page runs the network at: a ladder of inputs, smallest first
// (spec.ladder: 192x144, 256x192, 320x240, then the server's own input for the frame,
// 432x320 at 640x480). A larger input is nearer the server's answers (the top rung gives
// them) and costs time nearly in proportion to its cells. The page climbs while its own
// measured time says the next rung still keeps up with the camera, and steps down when the
// rung it is on falls behind; "at the camera's rate when the device allows".
//
// Pure: web/live/live.js feeds it one sample per frame drawn and reads the rung back;
// tests/model/test_live_ladder.py runs it in node.
//
// Hysteresis, so it does not oscillate: a climb needs the next rung estimated to keep up
// with CLIMB_HEADROOM to spare, a fall only comes once the rung's measured rate is below
// FALL_BELOW of the camera's, every decision waits for DWELL frames at the rung, and the
// cost a rung turned out to have (against its estimate) is remembered, so a rung that
// fell behind is not tried again until the device gets faster by that much.

export const CLIMB_HEADROOM = 1.3; // the next rung's estimated rate, over the camera's
export const FALL_BELOW = 0.9; // the rung's measured rate, under the camera's
export const DWELL = 20; // frames measured at a rung before deciding

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

export class Ladder {
  /**
   * `rungs`: [{width, height}] smallest first; `workers`: how many frames run at once (the
   * page's workers), so the rate is workers * 1000 / (ms per frame in a worker).
   */
  constructor(rungs, workers = 1) {
    this.rungs = rungs;
    this.workers = workers;
    this.rung = 0;
    this.samples = [];
    this.correction = rungs.map(() => 1); // measured / estimated network time per cell
    this.climbedFrom = null; // the network time per cell when the last climb was decided
  }

  /**
   * One frame drawn: the rung it ran at, its network input {width, height} (the bottom
   * rung's crops run at narrower inputs), the worker's ms for the whole frame (cut,
   * resize, network, decode) and the network's part. `cameraFps`: the camera's rate.
   * Returns the rung for the next frames.
   */
  observe({ rung, input, ms, networkMs }, cameraFps) {
    if (rung !== this.rung) return this.rung; // sent before the last step: not this rung's
    this.samples.push({ perCell: networkMs / (input.width * input.height), rest: ms - networkMs, ms });
    if (this.samples.length < DWELL) return this.rung;
    if (this.samples.length > DWELL) this.samples.shift();
    const perCell = median(this.samples.map((s) => s.perCell));
    const rate = (ms) => (this.workers * 1000) / ms;
    if (this.climbedFrom !== null) {
      this.correction[this.rung] = perCell / this.climbedFrom;
      this.climbedFrom = null;
    }
    if (this.rung > 0 && rate(median(this.samples.map((s) => s.ms))) < cameraFps * FALL_BELOW) {
      return this.step(-1);
    }
    const next = this.rungs[this.rung + 1];
    if (!next) return this.rung;
    const cells = next.width * next.height;
    const estimate = median(this.samples.map((s) => s.rest)) + perCell * this.correction[this.rung + 1] * cells;
    if (rate(estimate) >= cameraFps * CLIMB_HEADROOM) {
      this.climbedFrom = perCell;
      return this.step(1);
    }
    return this.rung;
  }

  step(by) {
    this.rung += by;
    this.samples = [];
    return this.rung;
  }
}

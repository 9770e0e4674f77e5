// Where in the frame the network looks, and at which input: the page's form of the region
// idea (pose/video/region/). The whole 640x480 frame at the 192x144 input shows a person
// small; once people are found, the next frame's input is cut around them (their joints'
// box plus a margin, never less than a third of the frame's height), so they fill it.
// The crop takes the narrowest of the inputs the server offers (spec.cropInputs: 96, 120
// and 144 columns by 144 rows) whose aspect holds the people's box, so a standing person's
// tall crop runs on half the cells of a 4:3 one at the same pixel scale or finer: the
// network's time is nearly proportional to its cells. The whole frame is looked at again
// (at spec.input) when nobody was found, and every WHOLE_EVERY frames, so newcomers are
// found within about a second.

const MARGIN = 0.35; // of the people's box, on each side
const MIN_SHARE = 1 / 3; // of the frame's height
export const WHOLE_EVERY = 15;

/** The joints' box [x0, y0, x1, y1] of every found joint of `people`, or null. */
function jointsBox(people) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const person of people) {
    for (const [x, y, c] of person.keypoints) {
      if (c <= 0) continue;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
  }
  return x1 > x0 && y1 > y0 ? [x0, y0, x1, y1] : null;
}

/**
 * The crop {x, y, w, h} (whole frame pixels) and its network `input` ({width, height, ...},
 * one of `inputs`) for the next frame of size [W, H]. `inputs`: the crop inputs, narrowest
 * first, then the whole frame's input (last; also used for 4:3 crops).
 */
export function chooseRegion(people, frameNumber, size, inputs) {
  const [W, H] = size;
  const full = inputs[inputs.length - 1];
  const whole = { x: 0, y: 0, w: W, h: H, input: full };
  const box = people.length && frameNumber % WHOLE_EVERY !== 0 ? jointsBox(people) : null;
  if (!box) return whole;
  const [x0, y0, x1, y1] = box;
  const side = Math.max(x1 - x0, y1 - y0);
  // What must be seen: the box and its margin, as far as the frame reaches.
  const needW = Math.min(x1 - x0 + 2 * MARGIN * side, W), needH = Math.min(y1 - y0 + 2 * MARGIN * side, H);
  for (const input of inputs) {
    const aspect = input.width / input.height;
    if (input !== full && needW / needH > aspect) continue; // too narrow for these people
    // The input's aspect, so the crop is scaled alike on both axes.
    let h = Math.max(needH, needW / aspect, H * MIN_SHARE);
    if (h > H) h = H;
    const w = h * aspect;
    if (w >= W || (input === full && h >= H)) return whole;
    // Whole pixels: the crop is cut from the frame as the server would cut it (web/live/resize.js).
    const cw = Math.round(w), ch = Math.round(h);
    const x = Math.round(Math.min(Math.max((x0 + x1) / 2 - cw / 2, 0), W - cw));
    const y = Math.round(Math.min(Math.max((y0 + y1) / 2 - ch / 2, 0), H - ch));
    return { x, y, w: cw, h: ch, input };
  }
  return whole;
}

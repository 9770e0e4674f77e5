// Where in the frame the network looks, and at which input: the page's form of the region
// idea (pose/video/region/). The whole 640x480 frame at the 192x144 input shows a person
// small; once people are found, the next frame's input is cut around them (their joints'
// box plus a margin, at 4:3, never less than a third of the frame), so they fill it.
// When that 4:3 crop would be the whole frame (people as tall as the frame, a standing
// person seen whole), the frame's full height is cut instead at the narrowest of the inputs
// the server offers (spec.cropInputs: 96, 120 or 144 columns by 144 rows) that holds the
// people's box and margin: the same pixel scale as the whole frame, without the empty
// sides, on fewer cells (the network's time is nearly proportional to its cells). The whole
// frame is looked at again (at spec.input) when nobody was found, and every WHOLE_EVERY
// frames, so newcomers are found within about a second.

const MARGIN = 0.35; // of the people's box, on each side
const MIN_SHARE = 1 / 3; // of the frame's width, for 4:3 crops
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

/** {x, y, w, h} of width w and height h centred on the box, inside the W x H frame. */
function place(box, w, h, W, H) {
  // Whole pixels: the crop is cut from the frame as the server would cut it (web/live/resize.js).
  w = Math.round(w); h = Math.round(h);
  const x = Math.round(Math.min(Math.max((box[0] + box[2]) / 2 - w / 2, 0), W - w));
  const y = Math.round(Math.min(Math.max((box[1] + box[3]) / 2 - h / 2, 0), H - h));
  return { x, y, w, h };
}

/**
 * The crop {x, y, w, h} (whole frame pixels) and its network `input` ({width, height, ...},
 * one of `inputs`) for the next frame of size [W, H]. `inputs`: the crop inputs, narrowest
 * first, then the whole frame's input (last).
 */
export function chooseRegion(people, frameNumber, size, inputs) {
  const [W, H] = size;
  const full = inputs[inputs.length - 1];
  const whole = { x: 0, y: 0, w: W, h: H, input: full };
  const box = people.length && frameNumber % WHOLE_EVERY !== 0 ? jointsBox(people) : null;
  if (!box) return whole;
  const [x0, y0, x1, y1] = box;
  const side = Math.max(x1 - x0, y1 - y0);
  const needW = x1 - x0 + 2 * MARGIN * side, needH = y1 - y0 + 2 * MARGIN * side;
  // The 4:3 crop, grown to the input's aspect so it is scaled alike on both axes.
  const aspect = full.width / full.height;
  let w = Math.max(needW, needH * aspect, W * MIN_SHARE);
  let h = w / aspect;
  if (w < W && h < H) return { ...place(box, w, h, W, H), input: full };
  // As tall as the frame: its full height, only as wide as the people need.
  for (const input of inputs.slice(0, -1)) {
    w = H * (input.width / input.height);
    if (w >= needW && w < W) return { ...place(box, w, H, W, H), input };
  }
  return whole;
}

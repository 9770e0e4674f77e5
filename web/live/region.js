// Where in the frame the network looks: the page's form of the region idea (pose/video/region/).
// The network's input is small (192x144), so a whole 640x480 frame shows a person small;
// once people are found, the next frame's input is cut around them (their joints' box plus
// a margin, at the input's aspect, never smaller than a third of the frame), so they fill
// it. The whole frame is looked at again when nobody was found, and every WHOLE_EVERY
// frames, so newcomers are found within about a second.

const MARGIN = 0.35; // of the people's box, on each side
const MIN_SHARE = 1 / 3; // of the frame's width
export const WHOLE_EVERY = 15;

/** The crop {x, y, w, h} (whole frame pixels) for the next frame of size [W, H]. */
export function chooseRegion(people, frameNumber, size, aspect) {
  const [W, H] = size;
  const whole = { x: 0, y: 0, w: W, h: H };
  if (!people.length || frameNumber % WHOLE_EVERY === 0) return whole;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const person of people) {
    for (const [x, y, c] of person.keypoints) {
      if (c <= 0) continue;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
  }
  if (!(x1 > x0) || !(y1 > y0)) return whole;
  const side = Math.max(x1 - x0, y1 - y0);
  let w = (x1 - x0) + 2 * MARGIN * side, h = (y1 - y0) + 2 * MARGIN * side;
  // Grow to the input's aspect, so the crop is scaled alike on both axes.
  if (w / h < aspect) w = h * aspect; else h = w / aspect;
  if (w < W * MIN_SHARE) { w = W * MIN_SHARE; h = w / aspect; }
  if (w >= W || h >= H) return whole;
  // Whole pixels: the crop is cut from the frame as the server would cut it (web/live/resize.js).
  w = Math.round(w); h = Math.round(h);
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const x = Math.round(Math.min(Math.max(cx - w / 2, 0), W - w));
  const y = Math.round(Math.min(Math.max(cy - h / 2, 0), H - h));
  return { x, y, w, h };
}

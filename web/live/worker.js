// The network's side of the in-browser mode, in a web worker so the page's thread stays
// free for the camera, tracking and drawing (web/live/live.js runs one or two of these, each
// on its own frame: two single-threaded workers keep both cores busy without the threads'
// hand-offs of one two-threaded run, and need no cross-origin isolation).
//
// Message in: {frame: ImageBitmap (W x H camera frame, transferred), region: {x, y, w, h}
// integer frame pixels, input: the network input {width, height, file} the crop is resized
// to (web/live/region.js), threshold, keep: bool}. Message out: {people (decode.js, frame
// pixels), frame (the bitmap, transferred back for drawing), ms: {prepare, network, decode},
// crop?: the region's RGBA bytes when `keep` (tests/browser/test_live_browser.py compares the
// page's joints with the server's on exactly these pixels)}.

// A classic worker, not a module one: LiteRT.js loads its WASM glue with importScripts, which
// module workers refuse; the page's modules come in by dynamic import instead.
const modules = Promise.all([import("./decode.js"), import("./resize.js"), import("./runtime.js")]);
let decodeMulti, areaResize, loadNetwork;
let spec = null, network = null, canvas = null, ctx = null;
const inputs = new Map(); // "WxH" -> Float32Array (h, w, 3): one input buffer per size

async function init({ spec: given, threads }) {
  [{ decodeMulti }, { areaResize }, { loadNetwork }] = await modules;
  spec = given;
  network = await loadNetwork(spec, threads);
  return { backend: network.backend, model: network.model };
}

async function frame({ frame, region, threshold, keep }) {
  const started = performance.now();
  const input = region.input || spec.input;
  const { width: iw, height: ih } = input;
  const key = `${iw}x${ih}`;
  if (!inputs.has(key)) inputs.set(key, new Float32Array(iw * ih * 3));
  const pixels = inputs.get(key);
  if (!canvas || canvas.width !== frame.width || canvas.height !== frame.height) {
    canvas = new OffscreenCanvas(frame.width, frame.height);
    ctx = canvas.getContext("2d", { willReadFrequently: true });
  }
  const { x, y, w, h } = region;
  ctx.drawImage(frame, x, y, w, h, x, y, w, h); // only the crop's pixels are read back
  const crop = ctx.getImageData(x, y, w, h).data;
  areaResize(crop, w, h, iw, ih, pixels);
  const prepared = performance.now();
  const output = await network.run(pixels, input);
  const inferred = performance.now();
  const mw = iw / 8, mh = ih / 8;
  const people = decodeMulti(output, mh, mw, output.length / (mw * mh),
    [w / mw, h / mh], threshold, spec, [x, y]);
  const ms = { prepare: prepared - started, network: inferred - prepared, decode: performance.now() - inferred };
  const reply = { people, frame, ms };
  const transfer = [frame];
  if (keep) { reply.crop = crop; transfer.push(crop.buffer); }
  return [reply, transfer];
}

self.onmessage = async ({ data }) => {
  try {
    if (data.init) self.postMessage({ ...(await init(data.init)), id: data.id });
    else {
      const [reply, transfer] = await frame(data);
      self.postMessage({ ...reply, id: data.id }, transfer);
    }
  } catch (error) {
    if (data.frame) data.frame.close();
    self.postMessage({ id: data.id, error: String(error && error.message ? error.message : error) });
  }
};

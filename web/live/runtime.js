// The pose network in the page: LiteRT.js (served by the app from web/vendor/, no CDN)
// running live/model.tflite, the int8 graph at the page's input size (models/browser.py).
//
// Back end: WebGPU when the browser offers an adapter and the model compiles fully for it,
// else WASM (XNNPACK) with the threads asked for (web/live/live.js: one per worker on two
// cores) when the page is cross-origin isolated (ui/live_assets.py sends the headers;
// threads need SharedArrayBuffer), else one. Runs in a worker (web/live/worker.js).

const BASE = new URL("../", import.meta.url); // .../live/

/** Whether this browser can run the in-browser mode at all (WebAssembly with SIMD). */
export function supported() {
  try {
    // The smallest module using a v128 instruction: i32.const 0; i8x16.splat; drop.
    const simd = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
      10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
    return typeof WebAssembly === "object" && WebAssembly.validate(simd) &&
      !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  } catch {
    return false;
  }
}

/**
 * Load the runtime and the whole frame's model (spec.input, live/model.tflite), with
 * `threads` WASM threads (more than one only where the page is cross-origin isolated).
 * Returns {run(Float32Array (1, h, w, 3) BGR 0-255, input = spec.input) -> Promise<Float32Array
 * (1, h/8, w/8, 57)>, backend: a name for the status line}. `input` is spec.input or one
 * of spec.cropInputs ({width, height, file}); a crop input's model is fetched and compiled
 * the first time it is asked for (once per worker), on the back end the first one chose.
 */
export async function loadNetwork(spec, threads = 1) {
  const litert = await import(new URL("litertjs/core/dist/index.js", BASE).href);
  const count = self.crossOriginIsolated === true ? Math.max(1, Math.min(4, threads)) : 1;
  const wasm = new URL("litertjs/core/wasm/", BASE);
  if (typeof document === "undefined") {
    // In a worker Emscripten looks for the .wasm beside the worker's own script; point it
    // at the runtime's folder (the loader hands self.Module to the module factory).
    const glue = count > 1 ? "litert_wasm_threaded_internal.js" : "litert_wasm_internal.js";
    self.Module = { locateFile: (file) => new URL(file, wasm).href, mainScriptUrlOrBlob: new URL(glue, wasm).href };
  }
  const runtime = await litert.loadLiteRt(wasm.href, count > 1 ? { threads: true } : {});
  let gpu = !!(navigator.gpu && (await navigator.gpu.requestAdapter().catch(() => null)));
  const compile = async (file) => {
    const bytes = new Uint8Array(await (await fetch(new URL(file, BASE))).arrayBuffer());
    if (gpu) {
      try {
        return await runtime.loadAndCompile(bytes, { accelerator: "webgpu" });
      } catch { gpu = false; }
    }
    return runtime.loadAndCompile(bytes, { accelerator: "wasm", cpuOptions: { numThreads: count } });
  };
  const models = new Map(); // file -> Promise<compiled model>
  const modelFor = (input) => {
    const file = input.file || "model.tflite";
    if (!models.has(file)) models.set(file, compile(file));
    return models.get(file);
  };
  await modelFor(spec.input);
  const backend = gpu ? "LiteRT.js, WebGPU" : `LiteRT.js, WASM, ${count} thread${count > 1 ? "s" : ""}`;
  const run = async (pixels, input = spec.input) => {
    const model = await modelFor(input);
    const tensor = new litert.Tensor(pixels, [1, input.height, input.width, 3]);
    try {
      const outputs = await model.run([tensor]);
      try {
        const out = outputs[0].accelerator === "wasm" || !outputs[0].moveTo ? outputs[0] : await outputs[0].moveTo("wasm");
        return out.toTypedArray().slice();
      } finally {
        outputs.forEach((o) => o.delete());
      }
    } finally {
      tensor.delete();
    }
  };
  return { run, backend };
}

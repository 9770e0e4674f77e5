// The pose network in the page: LiteRT.js (served by the app from web/vendor/, no CDN)
// running the model at each of the page's input sizes (models/browser.py, ui/live_assets.py).
//
// Back end: WebGPU when the browser offers an adapter and the model compiles fully for it,
// running the float model (a GPU computes in floats anyway: int8 buys no speed there, only
// rounding: on SwiftShader's WebGPU the int8 model was a median 2.07 px, largest 17.5, from
// the server's int8 on the same pixels; the float one within 0.1 px of the server's float);
// else WASM (XNNPACK) running the int8 model (faster there: about 45-50 ms at 192x144 here,
// float 55-110 ms) with the threads asked for (web/live/live.js: one per worker on two
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
 * Load the runtime and the whole frame's model (spec.input), with `threads` WASM threads
 * (more than one only where the page is cross-origin isolated). Returns {run(Float32Array
 * (1, h, w, 3) BGR 0-255, input = spec.input) -> Promise<Float32Array (1, h/8, w/8, 57)>,
 * backend: a name for the status line, model: "float" or "int8"}. `input` is any of the
 * spec's inputs ({width, height, file: the int8 model, floatFile: the float one}); its model
 * is fetched and compiled the first time it is asked for (once per worker), on the back end
 * the first one chose.
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
  const bytesOf = async (file) => {
    const response = await fetch(new URL(file, BASE));
    if (!response.ok) throw new Error(`${file}: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const compile = async (input) => {
    if (gpu && input.floatFile) {
      try {
        return await runtime.loadAndCompile(await bytesOf(input.floatFile), { accelerator: "webgpu" });
      } catch { gpu = false; }
    }
    const bytes = await bytesOf(input.file || "model.tflite");
    return runtime.loadAndCompile(bytes, { accelerator: "wasm", cpuOptions: { numThreads: count } });
  };
  const models = new Map(); // "WxH" -> Promise<compiled model>
  const modelFor = (input) => {
    const key = `${input.width}x${input.height}`;
    if (!models.has(key)) models.set(key, compile(input));
    return models.get(key);
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
  return { run, backend, model: gpu ? "float" : "int8" };
}

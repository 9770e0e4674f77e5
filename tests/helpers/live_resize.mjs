// Runs the page's resize (web/live/resize.js) in node: `node tests/helpers/live_resize.mjs
// RGBA_FILE SW SH DW DH` reads SH x SW x 4 bytes and prints the DH x DW x 3 BGR result as
// bytes (each value an integer 0-255). See tests/model/test_live_decoder.py.
import { readFileSync } from "node:fs";
import { areaResize } from "../../web/live/resize.js";

const [sw, sh, dw, dh] = process.argv.slice(3).map(Number);
const rgba = new Uint8ClampedArray(readFileSync(process.argv[2]));
const out = new Float32Array(dw * dh * 3);
areaResize(rgba, sw, sh, dw, dh, out);
process.stdout.write(Buffer.from(Uint8Array.from(out)));

// Runs the page's decoder (web/live/decode.js) on the shared test vectors in node:
// `node tests/helpers/live_decode.mjs VECTORS.json` prints, per frame, the people found
// ({name, people: [{score, keypoints}], numbered: the people's indices in numbering
// order}) as JSON. See tests/helpers/live_vectors.py.
import { readFileSync } from "node:fs";
import { decodeMulti, numberPeople } from "../../web/live/decode.js";

const vectors = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = vectors.frames.map((frame) => {
  const bytes = Buffer.from(frame.output, "base64");
  const output = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const people = decodeMulti(output, frame.height, frame.width, frame.channels, frame.scale,
    vectors.threshold, vectors.spec);
  return { name: frame.name, people, numbered: numberPeople(people).map((p) => people.indexOf(p)) };
});
process.stdout.write(JSON.stringify(results));

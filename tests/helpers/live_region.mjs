// Runs the page's region choice (web/live/region.js) in node: `node
// tests/helpers/live_region.mjs CASES_JSON` reads [{people, frame, size, inputs}] and prints
// the regions chosen, one per case, as JSON. See tests/model/test_live_region.py.
import { readFileSync } from "node:fs";
import { chooseRegion } from "../../web/live/region.js";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
process.stdout.write(JSON.stringify(cases.map((c) => chooseRegion(c.people, c.frame, c.size, c.inputs))));

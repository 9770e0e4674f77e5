// Runs the page's ladder of inputs (web/live/ladder.js) in node on a simulated device:
// `node tests/helpers/live_ladder.mjs CASE_JSON` reads {rungs, workers, cameraFps, rest,
// phases: [{frames, perCell: [ms per cell at each rung]}]} and prints the rung of every frame,
// as JSON. Each frame runs at the ladder's rung: its network takes perCell[rung] * cells ms,
// its other steps `rest` ms. See tests/model/test_live_ladder.py.
import { readFileSync } from "node:fs";
import { Ladder } from "../../web/live/ladder.js";

const c = JSON.parse(readFileSync(process.argv[2], "utf8"));
const ladder = new Ladder(c.rungs, c.workers);
const rungs = [];
for (const phase of c.phases) {
  for (let n = 0; n < phase.frames; n++) {
    const rung = ladder.rung, input = c.rungs[rung];
    const networkMs = phase.perCell[rung] * input.width * input.height;
    rungs.push(rung);
    ladder.observe({ rung, input, ms: networkMs + c.rest, networkMs }, c.cameraFps);
  }
}
process.stdout.write(JSON.stringify(rungs));

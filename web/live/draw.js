// Skeletons on the live view, as pose/output/draw.py draws them on the server: limbs in their end
// joint's colour, joints as discs (sizes from the frame's diagonal), white rings on the
// joints that differ most from a reference, and each person's ID on a tag in the ID's colour.
// The view is mirrored like a selfie camera; keypoints are in the real (un-mirrored) frame.

const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

/** Draw `video` mirrored and the people on the 2D context `ctx` of a W x H canvas. */
export function drawFrame(ctx, video, people, ids, spec, highlight = []) {
  const { width: W, height: H } = ctx.canvas;
  const diagonal = Math.hypot(W, H);
  const radius = Math.max(2, Math.round(diagonal * 0.006));
  const thickness = Math.max(1, Math.round(diagonal * 0.004));
  ctx.save();
  ctx.setTransform(-1, 0, 0, 1, W, 0); // mirrored: x -> W - x
  ctx.drawImage(video, 0, 0, W, H);
  ctx.lineCap = "round";
  ctx.lineWidth = thickness;
  for (const person of people) {
    const k = person.keypoints;
    for (const [a, b] of spec.drawnLimbs) {
      if (k[a][2] <= 0 || k[b][2] <= 0) continue;
      ctx.strokeStyle = rgb(spec.jointColors[b]);
      ctx.beginPath(); ctx.moveTo(k[a][0], k[a][1]); ctx.lineTo(k[b][0], k[b][1]); ctx.stroke();
    }
    k.forEach(([x, y, c], joint) => {
      if (c <= 0) return;
      ctx.fillStyle = rgb(spec.jointColors[joint]);
      ctx.beginPath(); ctx.arc(x, y, radius, 0, 2 * Math.PI); ctx.fill();
    });
  }
  ctx.strokeStyle = "white";
  ctx.lineWidth = Math.max(2, thickness);
  for (const [person, joint] of highlight) {
    const [x, y, c] = person.keypoints[joint];
    if (c > 0) { ctx.beginPath(); ctx.arc(x, y, radius * 2.5, 0, 2 * Math.PI); ctx.stroke(); }
  }
  ctx.restore();
  // Tags unmirrored, so the numbers read left to right.
  ctx.font = `bold ${Math.max(12, Math.round(diagonal * 0.025))}px sans-serif`;
  ctx.textBaseline = "bottom";
  people.forEach((person, n) => {
    const shown = person.keypoints.filter((p) => p[2] > 0);
    if (!shown.length) return;
    const x = W - shown.reduce((s, p) => s + p[0], 0) / shown.length;
    const top = Math.min(...shown.map((p) => p[1]));
    const text = `ID ${ids[n]}`;
    const w = ctx.measureText(text).width + 8, h = Math.round(diagonal * 0.03);
    const left = Math.min(Math.max(x - w / 2, 0), W - w), y = Math.max(top - 6, h);
    ctx.fillStyle = rgb(spec.idColors[ids[n] % spec.idColors.length]);
    ctx.fillRect(left, y - h, w, h);
    ctx.fillStyle = "white";
    ctx.fillText(text, left + 4, y);
  });
}

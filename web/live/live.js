// The Webcam tab's "In this browser" mode: camera -> network -> decoder -> tracker ->
// smoother -> drawing, all in the page; no camera frame is sent anywhere.
//
// ui/webcam.py lays out the panel (#live-root inside #webcam-browser-panel, the mode radio
// #webcam-where, the smoothing and threshold controls); this module fills #live-root when
// it appears, runs while the mode is chosen and the camera is on, and stops otherwise.
// window.poseLive exposes the meters for the browser test and benchmarks/live_browser.py.
// A frame is counted once its own skeletons are drawn on it: each camera frame goes to one
// worker and comes back with the people found on it, so no skeleton is drawn twice.

import { drawFrame } from "./draw.js";
import { Ladder } from "./ladder.js";
import { matchLive } from "./match.js";
import { chooseRegion } from "./region.js";
import { supported } from "./runtime.js";
import { Smoother, Tracker } from "./track.js";

const BASE = new URL("../", import.meta.url);
const RATE_WINDOW = 20; // frames over which frames/s and ms per frame are measured
const WORKERS = 2; // network workers, each on its own frame (at most one per core)
const STATUS_EVERY_MS = 250;
const BROWSER = "In this browser";
const SERVER = "On the server";

const state = (window.poseLive = {
  running: false, frames: 0, fps: 0, msPerFrame: 0, backend: "", people: [], error: "",
  supported: supported(),
  stepsTotalMs: {}, // per step, summed over the frames drawn (prepare, network, decode: worker)
  inputs: {}, // frames drawn per network input ("96x144": count): crops and whole frames
  // The ladder's rung (web/live/ladder.js): `rung` is the knob (null: the ladder decides; a
  // number: that rung; "top": the server's own input), `input` the rung in use ("192x144").
  rung: null, input: "", cameraFps: 0, model: "",
});

let spec = null, workers = null, stream = null;

const $ = (selector) => document.querySelector(selector);

function setStatus(text) {
  const status = $("#live-status");
  if (status) status.textContent = text;
}

function chosenMode() {
  const checked = document.querySelector("#webcam-where input[type=radio]:checked");
  return checked ? checked.value : "";
}

function chooseServerMode(reason) {
  const server = document.querySelector(`#webcam-where input[type=radio][value="${SERVER}"]`);
  if (server && !server.checked) server.click();
  const note = $("#webcam-where-note");
  if (note) note.textContent = reason;
}

function readControls() {
  const smooth = document.querySelector("#webcam-smooth input[type=checkbox]");
  const threshold = document.querySelector("#webcam-threshold input[type=number]");
  const eitherSide = document.querySelector("#webcam-either-side input[type=checkbox]");
  const value = threshold ? parseFloat(threshold.value) : NaN;
  return {
    smooth: smooth ? smooth.checked : true,
    threshold: value >= 0 && value <= 1 ? value : 0.1,
    eitherSide: eitherSide ? eitherSide.checked : true,
  };
}

/** The reference pose the server computed for the reference photo, or null. */
function readReference() {
  const holder = document.querySelector("#webcam-reference-pose [data-pose]");
  if (!holder || !holder.dataset.pose) return null;
  try {
    return JSON.parse(holder.dataset.pose);
  } catch {
    return null;
  }
}

function build(root) {
  root.innerHTML = "";
  const video = Object.assign(document.createElement("video"), { muted: true, playsInline: true, autoplay: true });
  video.style.display = "none";
  const canvas = Object.assign(document.createElement("canvas"), { width: 640, height: 480, id: "live-canvas" });
  canvas.style.cssText = "width:100%;max-width:640px;background:#222;border-radius:8px";
  const button = Object.assign(document.createElement("button"), { id: "live-start", textContent: "Start camera" });
  button.className = "lg secondary";
  button.style.cssText = "margin:8px 0;padding:6px 14px;border-radius:6px";
  const status = Object.assign(document.createElement("div"), { id: "live-status" });
  status.textContent = state.supported
    ? "Press Start camera: the skeletons are computed in this page; no frame leaves your device."
    : "This browser cannot run the network (WebAssembly SIMD or camera access missing).";
  const score = Object.assign(document.createElement("div"), { id: "live-match" });
  root.append(canvas, button, status, score, video);
  button.addEventListener("click", () => (state.running ? stop() : start(video, canvas, button)));
}

async function start(video, canvas, button) {
  state.error = "";
  button.disabled = true;
  try {
    setStatus("Loading the network in this page…");
    spec = spec || (await (await fetch(new URL("spec.json", BASE), { cache: "no-cache" })).json());
    if (spec.ready === false) {
      const reason = spec.reason;
      spec = null; // asked again on the next press: the server may be ready by then
      throw new Error(reason);
    }
    workers = workers || (await startWorkers(spec));
    state.backend = workers.backend;
    state.model = workers.model;
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    // The rate the ladder keeps up with; a camera that does not say is taken as a webcam's 30.
    state.cameraFps = stream.getVideoTracks()[0].getSettings().frameRate || 30;
    video.srcObject = stream;
    await video.play();
  } catch (error) {
    state.error = String(error && error.message ? error.message : error);
    setStatus(`Could not start in this browser (${state.error}); use "${SERVER}" above.`);
    button.disabled = false;
    return;
  }
  button.textContent = "Stop camera";
  button.disabled = false;
  state.running = true;
  run(video, canvas).catch((error) => {
    state.error = String(error && error.message ? error.message : error);
    setStatus(`Stopped: ${state.error}`);
    stop();
  });
}

/**
 * WORKERS network workers (web/live/worker.js), each with its share of the cores as WASM
 * threads. Two on a two-core machine, one thread each: while one runs the network on a
 * frame the other runs it on the next, which kept both cores busier than one worker with
 * two threads (whose threads wait for each other at every layer).
 */
async function startWorkers(spec) {
  const cores = navigator.hardwareConcurrency || 2;
  const count = Math.max(1, Math.min(WORKERS, cores));
  const threads = Math.max(1, Math.min(4, Math.floor(cores / count)));
  const pool = await Promise.all(Array.from({ length: count }, async () => {
    const worker = new Worker(new URL("worker.js", import.meta.url));
    const waiting = new Map();
    let next = 0;
    worker.onmessage = ({ data }) => { waiting.get(data.id)(data); waiting.delete(data.id); };
    worker.onerror = (event) => waiting.forEach((resolve) => resolve({ error: event.message || "worker failed" }));
    const call = (message, transfer = []) => new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      worker.postMessage({ ...message, id }, transfer);
    });
    const reply = await call({ init: { spec, threads } });
    if (reply.error) throw new Error(reply.error);
    return { call, backend: reply.backend, model: reply.model };
  }));
  pool.model = pool[0].model;
  pool.backend = `${pool[0].backend}${count > 1 ? ` × ${count} workers` : ""}`;
  return pool;
}

function stop() {
  state.running = false;
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  const button = $("#live-start");
  if (button) button.textContent = "Start camera";
}

/** Resolves once the video shows a frame not yet taken (`seen` camera frames so far). */
function nextFrame(video, seen) {
  return new Promise((resolve) => {
    const shown = () => video.readyState >= 2 && video.videoWidth > 0;
    if (!video.requestVideoFrameCallback) { setTimeout(() => resolve(seen + 1), shown() ? 0 : 20); return; }
    // A hidden video may not call back in every browser: take the frame after 100 ms anyway.
    const timer = setTimeout(() => resolve(shown() ? seen + 1 : seen), 100);
    video.requestVideoFrameCallback((now, meta) => {
      clearTimeout(timer);
      resolve(Math.max(meta.presentedFrames, seen + 1));
    });
  });
}

/** The rung index to run the next frame at: the knob poseLive.rung if set, else the ladder's. */
function rungNow(ladder) {
  const top = ladder.rungs.length - 1;
  if (state.rung === "top") return top;
  if (typeof state.rung === "number") return Math.max(0, Math.min(top, state.rung));
  return ladder.rung;
}

/**
 * The crop and input of the next frame of size [W, H] at rung `rung`. The bottom rung cuts
 * crops around the people at its input or, for crops as tall as the frame, at a narrower one
 * (region.js; narrowest first, then the whole frame's: poseLive.cropInputs = false, set
 * before Start, keeps to the whole frame's input, benchmarks/live_browser.py); the rungs
 * between cut only 4:3 crops (the narrower inputs exist at the bottom rung's height only);
 * the top rung runs the whole frame, as the server's `estimate` does, for its answers.
 */
function regionAt(rung, ladder, found, sent, size) {
  const input = ladder.rungs[rung];
  if (rung > 0 && rung === ladder.rungs.length - 1) return { x: 0, y: 0, w: size[0], h: size[1], input };
  const crops = rung === 0 && state.cropInputs !== false ? spec.cropInputs || [] : [];
  return chooseRegion(found, sent, size, [...crops, input]);
}

async function run(video, canvas) {
  const ctx = canvas.getContext("2d");
  const ladder = new Ladder(spec.ladder && spec.ladder.length ? spec.ladder : [spec.input], workers.length);
  const tracker = new Tracker(), smoother = new Smoother();
  const arrivals = [], latencies = [], free = [...workers], queue = [];
  let found = [], controls = readControls(), reference = readReference(), seen = 0, sent = 0;
  let shownAt = 0;
  try {
    while (state.running) {
      // Keep every worker busy, each on its own new camera frame.
      while (free.length && state.running) {
        const taken = await nextFrame(video, seen);
        if (taken === seen || !video.videoWidth) continue;
        seen = taken;
        const W = video.videoWidth, H = video.videoHeight;
        const rung = rungNow(ladder);
        const region = regionAt(rung, ladder, found, sent, [W, H]);
        const frame = await createImageBitmap(video);
        // poseLive.keep (the browser test): true keeps the next frame's crop, "whole" or
        // "crop" the next one run on the rung's input or on a narrower crop input.
        const onWhole = region.input === ladder.rungs[rung];
        const keep = state.keep === true || state.keep === (onWhole ? "whole" : "crop");
        if (keep) state.keep = false;
        const worker = free.shift();
        const message = { frame, region, threshold: controls.threshold, keep };
        queue.push({ worker, region, rung, threshold: controls.threshold, started: performance.now(), reply: worker.call(message, [frame]) });
        sent += 1;
      }
      if (!queue.length) continue;
      const job = queue.shift();
      const result = await job.reply;
      free.push(job.worker);
      if (result.error) throw new Error(result.error);
      const frame = result.frame;
      const drawStart = performance.now();
      if (state.frames % 10 === 0) { controls = readControls(); reference = readReference(); }
      found = result.people;
      if (result.crop) state.kept = { crop: result.crop, region: job.region, people: found, threshold: job.threshold };
      const W = frame.width, H = frame.height;
      if (canvas.width !== W || canvas.height !== H) Object.assign(canvas, { width: W, height: H });
      const now = performance.now() / 1000;
      const ids = tracker.update(found, now);
      let people = found;
      if (controls.smooth) people = smoother.update(found, ids, now, [W, H]);
      else smoother.reset();
      const match = reference ? matchLive(people, reference, spec, controls.eitherSide) : null;
      drawFrame(ctx, frame, people, ids, spec, match && match.worst ? match.worst : []);
      frame.close();
      const done = performance.now();
      state.stepsMs = { ...result.ms, trackAndDraw: done - drawStart }; // the first three in the worker
      // Running sums since Start, so a benchmark can take the mean over any window.
      for (const [step, ms] of Object.entries(state.stepsMs)) state.stepsTotalMs[step] = (state.stepsTotalMs[step] || 0) + ms;
      const { prepare, network, decode } = result.ms;
      if (state.rung === null || state.rung === undefined) { // a pinned rung teaches the ladder nothing
        ladder.observe({ rung: job.rung, input: job.region.input, ms: prepare + network + decode, networkMs: network }, state.cameraFps);
      }
      const rungInput = ladder.rungs[job.rung];
      state.input = `${rungInput.width}x${rungInput.height}`;
      const size = `${job.region.input.width}x${job.region.input.height}`;
      state.inputs[size] = (state.inputs[size] || 0) + 1;
      state.frames += 1;
      arrivals.push(done);
      latencies.push(done - job.started);
      if (arrivals.length > RATE_WINDOW) { arrivals.shift(); latencies.shift(); }
      state.fps = arrivals.length > 1 ? (arrivals.length - 1) / ((arrivals.at(-1) - arrivals[0]) / 1000) : 0;
      state.msPerFrame = [...latencies].sort((a, b) => a - b)[latencies.length >> 1];
      state.people = people.map((person, n) => ({ id: ids[n], keypoints: person.keypoints }));
      state.region = job.region;
      // The status line and score a few times a second: each update costs the page a layout.
      if (done - shownAt > STATUS_EVERY_MS) {
        shownAt = done;
        showStatus(people, ids, controls);
        showMatch(match);
      }
    }
  } finally {
    for (const job of queue) job.reply.then((result) => result.frame && result.frame.close());
  }
}

function showStatus(people, ids, controls) {
  const count = people.length;
  const who = count ? ` (ID${count > 1 ? "s" : ""} ${ids.join(", ")})` : "";
  setStatus(`${BROWSER} (${workers.backend}, ${state.model} model at ${state.input}) · ${state.fps > 0 ? `${state.fps.toFixed(1)} frames/s` : "measuring frames/s"}` +
    ` · ${Math.round(state.msPerFrame)} ms per frame · ${count} ${count === 1 ? "person" : "people"}${who}` +
    ` · frame ${state.frames} · smoothing ${controls.smooth ? "on" : "off"}`);
}

function showMatch(match) {
  const box = $("#live-match");
  if (!box) return;
  if (!match) { box.textContent = ""; return; }
  box.innerHTML = match.similarity === null
    ? `<strong>${match.problem}</strong>`
    : `<span style="font-size:2em;font-weight:bold">${Math.round(match.similarity)} %</span><br>` +
      `<strong>${match.verdict}</strong>${match.mirrored ? " · mirrored" : ""}` +
      (match.worstNames.length ? ` · differs most at ${match.worstNames.join(", ")}` : "");
}

/** Read /live/spec.json; when the server has no runtime or model (yet), fall back, saying why. */
async function checkServer() {
  try {
    spec = await (await fetch(new URL("spec.json", BASE), { cache: "no-cache" })).json();
  } catch (error) {
    spec = { ready: false, reason: `The server's live files could not be read (${error}); frames go to the server.` };
  }
  state.ready = spec.ready !== false;
  if (!state.ready) {
    state.error = spec.reason || "not ready";
    setStatus(spec.reason);
    chooseServerMode(spec.reason);
    spec = null; // read again on Start: the server may have finished preparing
  }
}

function watch() {
  const root = $("#live-root");
  if (root && !root.dataset.built) {
    root.dataset.built = "1";
    build(root);
    if (!state.supported) chooseServerMode("This browser cannot run the network itself: frames go to the server.");
    else checkServer();
  }
  if (state.running && chosenMode() !== BROWSER) stop();
}

setInterval(watch, 500);

// The Webcam tab's "In this browser" mode: camera -> network -> decoder -> tracker ->
// smoother -> drawing, all in the page; no camera frame is sent anywhere.
//
// ui/webcam.py lays out the panel (#live-root inside #webcam-browser-panel, the mode radio
// #webcam-where, the smoothing and threshold controls); this module fills #live-root when
// it appears, runs while the mode is chosen and the camera is on, and stops otherwise.
// window.poseLive exposes the meters for the browser test and benchmarks/live_browser.py.

import { decodeMulti } from "./decode.js";
import { drawFrame } from "./draw.js";
import { matchLive } from "./match.js";
import { chooseRegion } from "./region.js";
import { loadNetwork, supported } from "./runtime.js";
import { Smoother, Tracker } from "./track.js";

const BASE = new URL("../", import.meta.url);
const RATE_WINDOW = 20; // frames over which frames/s and ms per frame are measured
const BROWSER = "In this browser";
const SERVER = "On the server";

const state = (window.poseLive = {
  running: false, frames: 0, fps: 0, msPerFrame: 0, backend: "", people: [], error: "",
  supported: supported(),
});

let spec = null, network = null, stream = null;

const $ = (selector) => document.querySelector(selector);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
    spec = spec || (await (await fetch(new URL("spec.json", BASE))).json());
    network = network || (await loadNetwork(spec));
    state.backend = network.backend;
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
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
    state.error = String(error);
    setStatus(`Stopped: ${state.error}`);
    stop();
  });
}

function stop() {
  state.running = false;
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  const button = $("#live-start");
  if (button) button.textContent = "Start camera";
}

async function run(video, canvas) {
  const ctx = canvas.getContext("2d");
  const { width: iw, height: ih } = spec.input;
  const input = new OffscreenCanvas(iw, ih).getContext("2d", { willReadFrequently: true });
  input.imageSmoothingQuality = "high";
  const pixels = new Float32Array(iw * ih * 3);
  const tracker = new Tracker(), smoother = new Smoother();
  const arrivals = [], latencies = [];
  let found = [], controls = readControls(), reference = readReference();
  while (state.running) {
    if (video.readyState < 2 || !video.videoWidth) { await sleep(20); continue; }
    const W = video.videoWidth, H = video.videoHeight;
    if (canvas.width !== W || canvas.height !== H) Object.assign(canvas, { width: W, height: H });
    const started = performance.now();
    if (state.frames % 10 === 0) { controls = readControls(); reference = readReference(); }
    const region = chooseRegion(found, state.frames, [W, H], iw / ih);
    input.drawImage(video, region.x, region.y, region.w, region.h, 0, 0, iw, ih);
    const rgba = input.getImageData(0, 0, iw, ih).data;
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      pixels[j] = rgba[i + 2]; pixels[j + 1] = rgba[i + 1]; pixels[j + 2] = rgba[i]; // BGR
    }
    const prepared = performance.now();
    const output = await network.run(pixels);
    const inferred = performance.now();
    const mw = iw / 8, mh = ih / 8;
    found = decodeMulti(output, mh, mw, output.length / (mw * mh), [region.w / mw, region.h / mh],
      controls.threshold, spec, [region.x, region.y]);
    const now = performance.now() / 1000;
    const ids = tracker.update(found, now);
    let people = found;
    if (controls.smooth) people = smoother.update(found, ids, now, [W, H]);
    else smoother.reset();
    const match = reference ? matchLive(people, reference, spec, controls.eitherSide) : null;
    const decoded = performance.now();
    drawFrame(ctx, video, people, ids, spec, match && match.worst ? match.worst : []);
    state.stepsMs = { prepare: prepared - started, network: inferred - prepared,
      decode: decoded - inferred, draw: performance.now() - decoded };
    state.frames += 1;
    arrivals.push(performance.now());
    latencies.push(performance.now() - started);
    if (arrivals.length > RATE_WINDOW) { arrivals.shift(); latencies.shift(); }
    state.fps = arrivals.length > 1 ? (arrivals.length - 1) / ((arrivals.at(-1) - arrivals[0]) / 1000) : 0;
    state.msPerFrame = [...latencies].sort((a, b) => a - b)[latencies.length >> 1];
    state.people = people.map((person, n) => ({ id: ids[n], keypoints: person.keypoints }));
    state.region = region;
    const count = people.length;
    const who = count ? ` (ID${count > 1 ? "s" : ""} ${ids.join(", ")})` : "";
    setStatus(`${BROWSER} (${network.backend}) · ${state.fps > 0 ? `${state.fps.toFixed(1)} frames/s` : "measuring frames/s"}` +
      ` · ${Math.round(state.msPerFrame)} ms per frame · ${count} ${count === 1 ? "person" : "people"}${who}` +
      ` · frame ${state.frames} · smoothing ${controls.smooth ? "on" : "off"}`);
    showMatch(match);
    await sleep(0); // let the page breathe between frames
  }
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

function watch() {
  const root = $("#live-root");
  if (root && !root.dataset.built) {
    root.dataset.built = "1";
    build(root);
    if (!state.supported) chooseServerMode("This browser cannot run the network itself: frames go to the server.");
  }
  if (state.running && chosenMode() !== BROWSER) stop();
}

setInterval(watch, 500);

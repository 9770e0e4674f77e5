"""People in 3D: BlazePose GHUM's landmark model on upright crops, the turning 3D view."""

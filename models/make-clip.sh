#!/usr/bin/env bash
# Regenerates the test clip and its ground truth (npm run model:clip):
#   models/clip/shapes-clip.mp4   H.264 (x264, zerolatency, key frame every 2 s) in MP4, 640x480, 15 fps, 45 s
#   models/clip/shapes-clip.json  per-frame truth {width,height,fps,labels,frames:[{index,pts,objects}]}
# Deterministic by seed (default 20240); extra arguments go to models/make_clip.py.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec /usr/bin/python3 "$here/make_clip.py" --out "$here/clip/shapes-clip" "$@"

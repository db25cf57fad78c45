# Sourced by the GPU machine's one-call scripts (bench/gpu_session.sh, training/recipes/v2_gpu.sh), with SESSION
# naming the log that comes back: note (a line to the screen and the log) and step (a command, its exit status and
# seconds noted; its status returned).
note() { echo "$*" | tee -a "$SESSION"; }

step() {  # step NAME COMMAND...: run, note its exit status and seconds
  local name=$1 start rc
  shift
  start=$(date +%s)
  "$@"
  rc=$?
  note "step $name: exit $rc after $(($(date +%s) - start)) s"
  return $rc
}

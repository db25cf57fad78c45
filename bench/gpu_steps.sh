# Sourced by the GPU machine's one-call scripts (bench/gpu_session.sh, training/recipes/v2_gpu.sh), with SESSION
# naming the log that comes back and PY the Python: note (a line to the screen and the log), step (a command, its exit
# status and seconds noted; its status returned) and install_wheels (the carried wheels, see bench/gpu_wheels.sh).
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

install_wheels() {  # install_wheels [DIR]: DIR's wheels (default .whl) into /tmp/site, put on PYTHONPATH
  local dir=${1:-.whl}
  if ! ls "$dir"/*.whl >/dev/null 2>&1; then
    note "no $dir/ here (bash bench/gpu_wheels.sh makes it; carry .whl): diffusers may be missing"
  elif "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    "$dir"/*.whl; then
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
    note "installed into /tmp/site: $(cd "$dir" && ls ./*.whl | tr '\n' ' ')"
  else
    note "installing $dir failed; going on with what the machine has"
  fi
}

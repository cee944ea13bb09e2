# Shared by the CLI test scripts: `expect` runs a command and checks its exit code and output.
failures=0
passed=0

# expect NAME EXIT_CODE REGEX -- COMMAND...: runs the command, checks its exit code and that
# its stderr (or stdout) matches REGEX.
expect() {
  local name=$1 code=$2 regex=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc -ne $code ]]; then
    echo "FAIL $name: exit code $rc, expected $code"; echo "$out" | head -5
    failures=$((failures + 1)); return
  fi
  if ! grep -Eq -- "$regex" <<<"$out"; then
    echo "FAIL $name: output does not match /$regex/"; echo "$out" | head -5
    failures=$((failures + 1)); return
  fi
  echo "ok   $name"
  passed=$((passed + 1))
}

# check NAME CONDITION_EXIT_CODE MESSAGE: records a check done by the caller.
check() {
  if [[ $2 -eq 0 ]]; then
    echo "ok   $1"; passed=$((passed + 1))
  else
    echo "FAIL $1: $3"; failures=$((failures + 1))
  fi
}

finish() {
  echo "$passed passed, $failures failed"
  [[ $failures -eq 0 ]]
}

# Runs a command and checks its exit code and output; used by the attnc-run
# tests because ctest alone can only check "zero or not".
#   -DCOMMAND=prog|arg|...   ('|'-separated)
#   -DEXPECTED_EXIT=N
#   -DEXPECTED_OUTPUT=regex  (matched against stdout + stderr; optional)
string(REPLACE "|" ";" command "${COMMAND}")
execute_process(COMMAND ${command}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
set(all "${out}${err}")
message("${all}")
if(NOT "${rc}" STREQUAL "${EXPECTED_EXIT}")
  message(FATAL_ERROR "exit code: expected ${EXPECTED_EXIT}, got ${rc}")
endif()
if(NOT "${EXPECTED_OUTPUT}" STREQUAL "" AND NOT all MATCHES "${EXPECTED_OUTPUT}")
  message(FATAL_ERROR "output does not match '${EXPECTED_OUTPUT}'")
endif()

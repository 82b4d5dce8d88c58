# Fails unless `COMMAND` prints exactly the '|'-separated names in EXPECTED,
# one per line.
string(REPLACE "|" ";" command "${COMMAND}")
execute_process(COMMAND ${command} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "'${COMMAND}' failed: ${rc}")
endif()
string(STRIP "${out}" out)
string(REPLACE "\n" "|" out "${out}")
if(NOT out STREQUAL EXPECTED)
  message(FATAL_ERROR "hostile.py cases:\n  ${out}\nregistered:\n  ${EXPECTED}")
endif()

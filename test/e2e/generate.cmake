# Token generation against ONNX Runtime (label `e2e;generate`): the tiny
# GPT-2 exports of models.cmake (fixture e2e.models.gpt2_tiny) compiled by
# attnc and run with `attnc-run --generate`; the greedy ids must equal a
# greedy decode of the same .onnx by ONNX Runtime (run_generate_test.py),
# and top-k sampling must be repeatable and stay within ORT's top k.
#
#   e2e.generate.gpt2_tiny_with_past   decode-step graph: KV cache path
#   e2e.generate.gpt2_tiny             full-sequence graph: re-run fallback
#   e2e.generate.marian_tiny*          encoder-decoder, see below

set(_generate_driver ${CMAKE_CURRENT_SOURCE_DIR}/run_generate_test.py)
set(_generate_work ${CMAKE_CURRENT_BINARY_DIR}/models/gpt2_tiny)
foreach(graph gpt2_tiny_with_past gpt2_tiny)
  add_test(NAME e2e.generate.${graph}
    COMMAND "${ATTNC_PYTHON}" ${_generate_driver}
            --attnc $<TARGET_FILE:attnc> --attnc-run $<TARGET_FILE:attnc-run>
            --model ${_generate_work}/${graph}.onnx
            --work ${CMAKE_CURRENT_BINARY_DIR}/generate/${graph}
            --prompt-ids 464,33,7,250,99 --tokens 16 --top-k 5 --seed 7)
  set_tests_properties(e2e.generate.${graph} PROPERTIES
    LABELS "e2e;generate" FIXTURES_REQUIRED e2e.models.gpt2_tiny
    TIMEOUT 300 PASS_REGULAR_EXPRESSION "greedy: 16 ids equal.*PASS")
endforeach()

# Encoder-decoder (attnc_generate_seq2seq, `attnc-run ENCODER.so --decoder
# ...`) on the tiny Marian exports (fixture e2e.models.marian_tiny): pad 999
# is the start token and is suppressed, 0 is EOS. ONNX Runtime's reference
# re-runs the decoder on the whole target each step. The source 7,8,9,0
# makes the greedy run change ids midway (random weights repeat ids a lot);
# the sampled run checks many different prefixes.
#
#   e2e.generate.marian_tiny_with_past   cached decode step
#   e2e.generate.marian_tiny             decoder re-run fallback
set(_marian ${CMAKE_CURRENT_BINARY_DIR}/models/marian_tiny/marian_tiny)
foreach(variant with_past no_past)
  set(name marian_tiny_with_past)
  set(past --decoder-with-past ${_marian}_decoder_with_past.onnx)
  if(variant STREQUAL "no_past")
    set(name marian_tiny)
    set(past)
  endif()
  add_test(NAME e2e.generate.${name}
    COMMAND "${ATTNC_PYTHON}" ${_generate_driver}
            --attnc $<TARGET_FILE:attnc> --attnc-run $<TARGET_FILE:attnc-run>
            --model ${_marian}_encoder.onnx --decoder ${_marian}_decoder.onnx
            ${past} --decoder-start 999 --suppress-id 999 --eos-id 0
            --work ${CMAKE_CURRENT_BINARY_DIR}/generate/${name}
            --prompt-ids 7,8,9,0 --tokens 16 --top-k 5 --seed 3)
  set_tests_properties(e2e.generate.${name} PROPERTIES
    LABELS "e2e;generate" FIXTURES_REQUIRED e2e.models.marian_tiny
    TIMEOUT 300 PASS_REGULAR_EXPRESSION "greedy: 16 ids equal.*PASS")
endforeach()

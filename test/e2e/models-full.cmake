# Full-size models (label `models-full`, opt-in: -DATTNC_FULL_MODELS=ON).
# One test per graph of docs/models.md's full-size table: GPT-2 small and
# medium (full sequence and step with past), BERT-base, ViT-B/16, Marian
# opus-mt (encoder, decoder, decoder with past), the seed's torch MHA layer
# and torch nn.TransformerEncoder. Each runs tools/models_report.py --only
# <graph> --generate: generates the family (once, into
# ATTNC_FULL_MODELS_DIR), compiles the graph, and fails unless every output
# of every test data set matches ONNX Runtime (rtol = atol = 1e-4). The
# measurements accumulate in ATTNC_FULL_MODELS_DIR/report.json
# (`tools/models_report.py --table-only` prints the table).
#
# Off by default: generating and compiling them takes ~1 hour on 2 cores,
# ~6 GB of disk and up to ~12 GB of RAM (GPT-2 medium's export), so the
# tests run one at a time (RESOURCE_LOCK). CI turns it on and runs as many as
# its time budget allows: tools/ci_full_models.py (keep its cost table in
# step with the graphs here).
option(ATTNC_FULL_MODELS "Register the full-size model tests (label models-full)" OFF)
set(ATTNC_FULL_MODELS_DIR "${CMAKE_BINARY_DIR}/full-models" CACHE PATH
    "Where the full-size models are generated (reused when present)")

if(ATTNC_FULL_MODELS)
  set(_full_graphs
    torch_mha_seed torch_encoder_base bert_base vit_b16
    marian_opus-mt_encoder marian_opus-mt_decoder
    marian_opus-mt_decoder_with_past
    gpt2_small gpt2_small_with_past gpt2_medium gpt2_medium_with_past)
  foreach(graph IN LISTS _full_graphs)
    add_test(NAME e2e.full.${graph}
      COMMAND "${ATTNC_PYTHON}" ${ATTNC_SOURCE_DIR}/tools/models_report.py
              --attnc $<TARGET_FILE:attnc> --attnc-run $<TARGET_FILE:attnc-run>
              --models-dir ${ATTNC_FULL_MODELS_DIR} --generate
              --results ${ATTNC_FULL_MODELS_DIR}/report.json --only ${graph})
    set_tests_properties(e2e.full.${graph} PROPERTIES
      LABELS "e2e;models-full" TIMEOUT 3600
      RESOURCE_LOCK attnc_full_models)
  endforeach()
  list(LENGTH _full_graphs _n)
  message(STATUS "e2e full-size models: ${_n} graphs in ${ATTNC_FULL_MODELS_DIR}")
endif()

// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-cpu-flash-attention{vector-bits=48}))' -verify-diagnostics
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-cpu-flash-attention{key-vectors=0}))' -verify-diagnostics
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-cpu-flash-attention{max-rows=17}))' -verify-diagnostics

// Options out of range are an error, not a silent no-op.
// expected-error @+1 {{attnc-cpu-flash-attention: vector-bits must be a positive multiple of 32, vector-registers >= 8, key-vectors in 1..4 and max-rows in 1..16}}
func.func @bad_options() {
  return
}

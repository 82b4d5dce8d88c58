// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-prefetch-weights{distance=-1}))' -verify-diagnostics
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-prefetch-weights{locality=4}))' -verify-diagnostics

// Options out of range are an error, not a silent no-op.
// expected-error @+1 {{attnc-prefetch-weights: distance must be >= 0 and locality in 0..3}}
func.func @bad_options() {
  return
}

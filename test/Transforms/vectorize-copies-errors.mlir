// RUN: attnc-opt %s --pass-pipeline='builtin.module(func.func(attnc-vectorize-copies{vector-bytes=0}))' -verify-diagnostics

// expected-error @+1 {{attnc-vectorize-copies: vector-bytes must be positive}}
func.func @bad_option() {
  return
}

// RUN: attnc-opt %s --pass-pipeline='builtin.module(func.func(attnc-gpu-tile-contractions{tile-m=24}))' --verify-diagnostics

// expected-error @below {{attnc-gpu-tile-contractions: tile-m and tile-n must be positive multiples of 16}}
func.func @f() {
  return
}

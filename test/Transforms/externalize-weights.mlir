// RUN: attnc-opt %s -split-input-file --attnc-externalize-weights="min-elements=4" | FileCheck %s

// Large constants become external globals plus an `attnc.weights` entry;
// small ones stay inline; identical ones share a symbol.
// CHECK: module attributes {attnc.weights = {__attnc_w0 = dense<{{.*}}> : tensor<2x2xf32>}}
// CHECK: memref.global constant @__attnc_w0 : memref<2x2xf32> {alignment = 64 : i64}
// CHECK-NOT: memref.global
// CHECK-LABEL: func @weights
// CHECK: %[[SMALL:.*]] = arith.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK: %[[G0:.*]] = memref.get_global @__attnc_w0 : memref<2x2xf32>
// CHECK: %[[T0:.*]] = bufferization.to_tensor %[[G0]] restrict : memref<2x2xf32> to tensor<2x2xf32>
// CHECK: %[[G1:.*]] = memref.get_global @__attnc_w0 : memref<2x2xf32>
// CHECK: %[[T1:.*]] = bufferization.to_tensor %[[G1]] restrict
// CHECK: return %[[SMALL]], %[[T0]], %[[T1]]
func.func @weights() -> (tensor<3xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %small = arith.constant dense<1.0> : tensor<3xf32>
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %tied = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  return %small, %w, %tied : tensor<3xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// Scalars and index constants are never externalized.
// CHECK-LABEL: func @scalars
// CHECK-NOT: memref.get_global
func.func @scalars() -> (f32, index) {
  %f = arith.constant 1.0 : f32
  %i = arith.constant 3 : index
  return %f, %i : f32, index
}

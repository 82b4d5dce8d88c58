// RUN: attnc-opt %s -split-input-file --attnc-entry-abi --verify-diagnostics | FileCheck %s

// The model function becomes a destination-passing entry; the metadata
// records names, dtypes and symbolic dims (names are percent-encoded).
// CHECK: module attributes {attnc.metadata = "attnc-metadata 1\0Ainput query f32 2 ?n 3\0Ainput key%20states u8 1 3\0Aoutput out f32 2 ?n 3\0A"}
// CHECK-LABEL: func.func @attnc_main
// CHECK-SAME: (%[[Q:.*]]: memref<?x3xf32>, %[[K:.*]]: memref<3xi8>, %[[O:.*]]: memref<?x3xf32> {attnc.output}) -> i32
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: %[[QT:.*]] = bufferization.to_tensor %[[Q]] restrict : memref<?x3xf32> to tensor<?x3xf32>
// CHECK: %[[KT:.*]] = bufferization.to_tensor %[[K]] restrict
// CHECK: bufferization.materialize_in_destination %[[QT]] in restrict writable %[[O]]
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: return %[[ZERO]] : i32
// CHECK-NOT: func.func @main
func.func @main(%q: tensor<?x3xf32> {attn.name = "query", attn.dtype = "f32", attn.dims = ["n", 3]},
                %k: tensor<3xi8> {attn.name = "key states", attn.dtype = "u8", attn.dims = [3]})
    -> (tensor<?x3xf32> {attn.name = "out", attn.dtype = "f32", attn.dims = ["n", 3]}) {
  return %q : tensor<?x3xf32>
}

// -----

// Without signature attributes, names and input dim symbols are generated.
// CHECK: attnc.metadata = "attnc-metadata 1\0Ainput input_0 f32 2 ?input0_d0 4\0Aoutput output_0 i64 1 5\0A"
func.func @main(%x: tensor<?x4xf32>) -> tensor<5xi64> {
  %c = arith.constant dense<1> : tensor<5xi64>
  return %c : tensor<5xi64>
}

// -----

module {
  // expected-error @+1 {{output 'output_0' dim 0 is dynamic but has no symbol in attn.dims}}
  func.func @main(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    return %x : tensor<?x4xf32>
  }
}

// -----

// expected-error @+1 {{no model function @main to expose}}
module {
  func.func @other() {
    return
  }
}

// -----

module {
  // expected-error @+1 {{input 'x': 1 symbolic dims for a rank-2 tensor}}
  func.func @main(%x: tensor<?x4xf32> {attn.name = "x", attn.dims = ["n"]}) -> tensor<?x4xf32> {
    return %x : tensor<?x4xf32>
  }
}

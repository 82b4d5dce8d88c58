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

// -----

// An `append` result (attnc-mark-append-outputs): the input and the output
// get strided layouts (any strides before the axis, contiguous from it) and
// the metadata an `append` line; other arguments keep identity layouts.
// CHECK: attnc.metadata = "{{.*}}output present f32 4 ?b 4 =$p,$s,+ 16\0Aappend present past 2\0A"
// CHECK: func.func @attnc_main
// CHECK-SAME: (%{{.*}}: memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>>, %{{.*}}: memref<?x4x?x16xf32>,
// CHECK-SAME: %{{.*}}: memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>> {attnc.output})
func.func @main(%past: tensor<?x4x?x16xf32> {attn.name = "past", attn.dims = ["b", 4, "p", 16]},
                %new: tensor<?x4x?x16xf32> {attn.name = "new", attn.dims = ["b", 4, "s", 16]})
    -> (tensor<?x4x?x16xf32> {attn.name = "present", attn.dims = ["b", 4, "=$p,$s,+", 16],
                              attn.append = {axis = 2 : i64, input = 0 : i64}}) {
  %0 = tensor.concat dim(2) %past, %new : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %0 : tensor<?x4x?x16xf32>
}

// -----

// Dynamic dims after the axis make those strides dynamic too.
// CHECK: append present past 1
// CHECK: func.func @attnc_main
// CHECK-SAME: (%{{.*}}: memref<?x?x?xf32, strided<[?, ?, 1]>>, %{{.*}}: memref<?x?x?xf32>,
func.func @main(%past: tensor<?x?x?xf32> {attn.name = "past", attn.dims = ["b", "p", "d"]},
                %new: tensor<?x?x?xf32> {attn.name = "new", attn.dims = ["b", "s", "d"]})
    -> (tensor<?x?x?xf32> {attn.name = "present", attn.dims = ["b", "=$p,$s,+", "d"],
                           attn.append = {axis = 1 : i64, input = 0 : i64}}) {
  %0 = tensor.concat dim(1) %past, %new : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// -----

// Static shapes: the sizes differ on the axis only (ONNX node tests).
// CHECK: append present past 2
// CHECK: func.func @attnc_main
// CHECK-SAME: (%{{.*}}: memref<2x3x12x8xf32, strided<[?, ?, 8, 1]>>, %{{.*}}: memref<2x3x6x8xf32>,
// CHECK-SAME: %{{.*}}: memref<2x3x18x8xf32, strided<[?, ?, 8, 1]>> {attnc.output})
func.func @main(%past: tensor<2x3x12x8xf32> {attn.name = "past"}, %new: tensor<2x3x6x8xf32> {attn.name = "new"})
    -> (tensor<2x3x18x8xf32> {attn.name = "present", attn.append = {axis = 2 : i64, input = 0 : i64}}) {
  %0 = tensor.concat dim(2) %past, %new : (tensor<2x3x12x8xf32>, tensor<2x3x6x8xf32>) -> tensor<2x3x18x8xf32>
  return %0 : tensor<2x3x18x8xf32>
}

// -----

// A mark the signature no longer supports (dims differ off the axis) is
// dropped: no `append` line, identity layouts.
// CHECK-NOT: append present
// CHECK: func.func @attnc_main
// CHECK-SAME: (%{{.*}}: memref<?x4xf32>, %{{.*}}: memref<?x8xf32> {attnc.output})
func.func @main(%past: tensor<?x4xf32> {attn.name = "past", attn.dims = ["p", 4]})
    -> (tensor<?x8xf32> {attn.name = "present", attn.dims = ["p", 8],
                         attn.append = {axis = 0 : i64, input = 0 : i64}}) {
  %0 = tensor.concat dim(1) %past, %past : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// So is a mark on an input that another op also reads.
// CHECK-NOT: append present
// CHECK: func.func @attnc_main
// CHECK-SAME: (%{{.*}}: memref<?x4xf32>, %{{.*}}: memref<?x4xf32>, %{{.*}}: memref<?x4xf32> {attnc.output}, %{{.*}}: memref<?x4xf32> {attnc.output})
func.func @main(%past: tensor<?x4xf32> {attn.name = "past", attn.dims = ["p", 4]},
                %new: tensor<?x4xf32> {attn.name = "new", attn.dims = ["s", 4]})
    -> (tensor<?x4xf32> {attn.name = "present", attn.dims = ["=$p,$s,+", 4],
                         attn.append = {axis = 0 : i64, input = 0 : i64}},
        tensor<?x4xf32> {attn.name = "twice", attn.dims = ["p", 4]}) {
  %0 = tensor.concat dim(0) %past, %new : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %1 = arith.addf %past, %past : tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// A malformed mark is an internal error, not a guess.
// expected-error @+1 {{bad attn.append attribute {axis = 0 : i64, input = 3 : i64} on result 0}}
func.func @main(%past: tensor<?x4xf32> {attn.name = "past", attn.dims = ["p", 4]})
    -> (tensor<?x4xf32> {attn.name = "present", attn.dims = ["p", 4],
                         attn.append = {axis = 0 : i64, input = 3 : i64}}) {
  return %past : tensor<?x4xf32>
}

// RUN: attnc-opt %s -split-input-file --attnc-mark-append-outputs | FileCheck %s

// A decode step's present = concat(past, new) along the sequence: marked
// with the past argument's index and the axis; logits are not.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<?x8xf32>, tensor<?x4x?x16xf32> {attn.append = {axis = 2 : i64, input = 1 : i64}})
func.func @main(%x: tensor<?x8xf32>, %past: tensor<?x4x?x16xf32>, %new: tensor<?x4x?x16xf32>)
    -> (tensor<?x8xf32>, tensor<?x4x?x16xf32>) {
  %c2 = arith.constant 2 : index
  // Dim queries of the past are fine: they read no memory.
  %d = tensor.dim %past, %c2 : tensor<?x4x?x16xf32>
  %0 = tensor.concat dim(2) %past, %new : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %x, %0 : tensor<?x8xf32>, tensor<?x4x?x16xf32>
}

// -----

// The concat may also feed other ops (the attention reads present).
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<?x4xf32> {attn.append = {axis = 0 : i64, input = 0 : i64}}, tensor<?x4xf32>)
func.func @main(%past: tensor<?x4xf32>, %new: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = tensor.concat dim(0) %past, %new : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %1 = arith.addf %0, %0 : tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Not marked: the past is read by another op too (it could see the cache
// being written), the appended tensor is not an argument, the argument is
// not the first operand, and the same value is returned twice.
// CHECK-LABEL: func.func @main
// CHECK-NOT: attn.append
func.func @main(%past: tensor<?x4xf32>, %new: tensor<?x4xf32>, %p2: tensor<?x4xf32>, %p3: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = tensor.concat dim(0) %past, %new : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %sum = arith.addf %past, %new : tensor<?x4xf32>
  %x = arith.mulf %new, %new : tensor<?x4xf32>
  %1 = tensor.concat dim(0) %x, %new : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = tensor.concat dim(0) %new, %p2 : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %3 = tensor.concat dim(0) %p3, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %sum, %1, %2, %3, %3, %x : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// An input concatenated into two outputs is not marked for either.
// CHECK-LABEL: func.func @main
// CHECK-NOT: attn.append
func.func @main(%past: tensor<?x4xf32>, %new: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = tensor.concat dim(0) %past, %new : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %1 = tensor.concat dim(0) %past, %past : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Only @main, the model function, is looked at.
// CHECK-LABEL: func.func @helper
// CHECK-NOT: attn.append
func.func @helper(%past: tensor<?x4xf32>, %new: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = tensor.concat dim(0) %past, %new : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A concat result more static than its input (the ABI passes both as views
// of one buffer, so they must agree off the axis): not marked.
// CHECK-LABEL: func.func @main
// CHECK-NOT: attn.append
func.func @main(%past: tensor<?x4xf32>, %new: tensor<1x4xf32>) -> tensor<1x8xf32> {
  %0 = tensor.concat dim(1) %past, %new : (tensor<?x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

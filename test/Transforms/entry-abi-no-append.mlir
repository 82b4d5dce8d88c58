// RUN: attnc-opt %s --attnc-entry-abi=append-views=false | FileCheck %s

// GPU models (append-views=false): the mark is dropped, layouts stay
// contiguous and there is no `append` line.
// CHECK-NOT: append present
// CHECK-LABEL: func.func @attnc_main
// CHECK-SAME: (%{{.*}}: memref<?x4xf32>, %{{.*}}: memref<?x4xf32>, %{{.*}}: memref<?x4xf32> {attnc.output})
// CHECK-NOT: attn.append
func.func @main(%past: tensor<?x4xf32> {attn.name = "past", attn.dims = ["p", 4]},
                %new: tensor<?x4xf32> {attn.name = "new", attn.dims = ["s", 4]})
    -> (tensor<?x4xf32> {attn.name = "present", attn.dims = ["=$p,$s,+", 4],
                         attn.append = {axis = 0 : i64, input = 0 : i64}}) {
  %0 = tensor.concat dim(0) %past, %new : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

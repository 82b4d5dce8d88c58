//===- Passes.td - attnc graph and module passes -----------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TRANSFORMS_PASSES_TD
#define ATTNC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ExternalizeWeights : Pass<"attnc-externalize-weights", "mlir::ModuleOp"> {
  let summary = "Moves large tensor constants out of the code into the weight blob";
  let description = [{
    Model weights must not become LLVM IR constants: a 124M-parameter model
    would make LLVM copy and walk every element. This pass replaces each
    `arith.constant` tensor with more than `min-elements` elements by an
    external `memref.global` declaration read through `memref.get_global`
    and `bufferization.to_tensor restrict`. The data itself is recorded in
    the module attribute `attnc.weights` (symbol -> elements); the target
    stage writes it into the `.so` as a raw, 64-byte aligned blob that
    defines those symbols.

    Before:
    ```mlir
    %w = arith.constant dense_resource<w0> : tensor<768x768xf32>
    ```
    After:
    ```mlir
    memref.global "private" constant @__attnc_w0 : memref<768x768xf32>
    ...
    %m = memref.get_global @__attnc_w0 : memref<768x768xf32>
    %w = bufferization.to_tensor %m restrict : memref<768x768xf32> to tensor<768x768xf32>
    ```
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"64",
           "Constants with at least this many elements are externalized">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def EntryABI : Pass<"attnc-entry-abi", "mlir::ModuleOp"> {
  let summary = "Rewrites the model function into the destination-passing entry of the .so ABI";
  let description = [{
    The importer produces `func.func @main(tensors...) -> tensors...` with
    `attn.name`/`attn.dtype`/`attn.dims` argument and result attributes.
    This pass rewrites it into `func.func @attnc_main(memref inputs...,
    memref outputs...) -> i32` (see docs/abi.md): inputs enter through
    `bufferization.to_tensor restrict`, results leave through
    `bufferization.materialize_in_destination ... restrict writable`, so
    one-shot bufferization writes the final ops straight into the caller's
    output buffers. The function gets `llvm.emit_c_interface`, and the
    metadata text (names, dtypes, symbolic shapes) is stored in the module
    attribute `attnc.metadata` for the target stage.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::arith::ArithDialect"];
}

#endif // ATTNC_TRANSFORMS_PASSES_TD

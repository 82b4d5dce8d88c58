//===- AttnDialect.td - The attn dialect -------------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNDIALECT_TD
#define ATTNC_DIALECT_ATTN_ATTNDIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::attnc::attn";
  let summary = "Transformer graph operations at the level of ONNX semantics";
  let description = [{
    The `attn` dialect is attnc's graph-level IR. The ONNX importer produces
    it and the graph passes (canonicalization, fusion) rewrite it; the
    `convert-attn-to-linalg` pass lowers it to `linalg`/`tensor`.

    Every op works on ranked tensors whose dims may be dynamic (`?`). Shapes
    follow ONNX/numpy rules (multidirectional broadcasting for elementwise
    ops, batch broadcasting for `attn.matmul`), so the importer maps ONNX
    nodes one to one and later fusion passes can form larger ops
    (`attn.attention`, `attn.layer_norm`, `attn.gelu`) from them.
  }];
  let hasConstantMaterializer = 1;
}

#endif // ATTNC_DIALECT_ATTN_ATTNDIALECT_TD

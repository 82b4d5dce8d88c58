//===- AttnOps.td - attn dialect operations ----------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The ops are grouped by family, one file each; this file is the root that
// mlir-tblgen reads.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNOPS_TD
#define ATTNC_DIALECT_ATTN_ATTNOPS_TD

include "attnc/Dialect/Attn/AttnTensorOps.td"
include "attnc/Dialect/Attn/AttnElementwiseOps.td"
include "attnc/Dialect/Attn/AttnNNOps.td"
include "attnc/Dialect/Attn/AttnReductionOps.td"
include "attnc/Dialect/Attn/AttnShapeOps.td"

#endif // ATTNC_DIALECT_ATTN_ATTNOPS_TD

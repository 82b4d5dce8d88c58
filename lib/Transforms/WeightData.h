//===- WeightData.h - Raw data of constant weights --------------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Helpers shared by the passes that rewrite constant weights at compile
// time (attnc-pack-weights, attnc-convert-weight-precision).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_TRANSFORMS_WEIGHTDATA_H
#define ATTNC_LIB_TRANSFORMS_WEIGHTDATA_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace attnc {

/// The raw little-endian bytes of a constant's elements, or an empty array
/// for attributes whose data is not one dense buffer (splats included).
inline llvm::ArrayRef<char> getRawWeightBytes(mlir::ElementsAttr attr) {
  if (auto resource = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(attr)) {
    if (mlir::AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
    return {};
  }
  if (auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(attr))
    if (!dense.isSplat())
      return dense.getRawData();
  return {};
}

/// Drops the data of a resource weight once no op refers to it, rather than
/// when the context dies after code generation: compile memory then stays
/// about one copy of the weights while they are rewritten.
inline void releaseWeightData(mlir::DenseResourceElementsAttr resource) {
  if (auto *entry = resource.getRawHandle().getResource())
    entry->setBlob(mlir::AsmResourceBlob());
}

} // namespace attnc

#endif // ATTNC_LIB_TRANSFORMS_WEIGHTDATA_H

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

#include <cstdint>
#include <cstring>

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

/// f32 -> bf16, rounding to nearest even. NaNs stay (quiet) NaNs: plain
/// rounding could carry a NaN's payload into the exponent and make it
/// infinity.
inline uint16_t roundToBF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<uint16_t>((bits + 0x7fffu + lsb) >> 16);
}

/// IEEE binary16 from binary32, round to nearest even; NaN stays NaN.
inline uint16_t roundToHalf(float value) {
  uint32_t f;
  std::memcpy(&f, &value, sizeof(f));
  uint32_t sign = (f >> 16) & 0x8000u;
  uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) // inf or NaN
    return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u);
  if (abs >= 0x477ff000u) // rounds to >= 65520: overflow to inf
    return sign | 0x7c00u;
  if (abs < 0x38800000u) { // subnormal or zero in f16
    if (abs < 0x33000000u) // below half the smallest subnormal
      return sign;
    uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    int shift = 126 - int(abs >> 23); // 14..24
    uint32_t half = mant >> shift;
    uint32_t rest = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rest > mid || (rest == mid && (half & 1u)))
      ++half;
    return sign | half;
  }
  uint32_t half = ((abs - 0x38000000u) >> 13);
  uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
    ++half;
  return sign | half;
}

} // namespace attnc

#endif // ATTNC_LIB_TRANSFORMS_WEIGHTDATA_H

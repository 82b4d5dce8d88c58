//===- AttnBase.td - attn op base classes -------------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNBASE_TD
#define ATTNC_DIALECT_ATTN_ATTNBASE_TD

include "attnc/Dialect/Attn/AttnDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

// Element types attnc computes with. Integers are signless; signedness of
// model inputs/outputs is kept in the entry's metadata.
def Attn_ElementType : AnyTypeOf<[AnyFloat, AnySignlessInteger]>;
def Attn_Tensor : RankedTensorOf<[Attn_ElementType]>;
def Attn_FloatTensor : RankedTensorOf<[AnyFloat]>;

#endif // ATTNC_DIALECT_ATTN_ATTNBASE_TD

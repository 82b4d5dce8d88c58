//===- AttnEnums.td - attn enum attributes -------------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Enums that select the variant of a multi-kind op. They are plain I32 enum
// attributes: ops print them as keywords (`attn.compare lt, ...`), and the
// C++ enums live in AttnEnums.h.inc.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNENUMS_TD
#define ATTNC_DIALECT_ATTN_ATTNENUMS_TD

include "mlir/IR/EnumAttr.td"

def Attn_ComparePredicateAttr : I32EnumAttr<"ComparePredicate",
    "elementwise comparison", [
      I32EnumAttrCase<"eq", 0>,
      I32EnumAttrCase<"lt", 1>,
      I32EnumAttrCase<"le", 2>,
      I32EnumAttrCase<"gt", 3>,
      I32EnumAttrCase<"ge", 4>
    ]> {
  let cppNamespace = "::attnc::attn";
}

def Attn_ReduceKindAttr : I32EnumAttr<"ReduceKind", "reduction kind", [
      I32EnumAttrCase<"sum", 0>,
      I32EnumAttrCase<"mean", 1>,
      I32EnumAttrCase<"max", 2>
    ]> {
  let cppNamespace = "::attnc::attn";
}

def Attn_ScatterReductionAttr : I32EnumAttr<"ScatterReduction",
    "how a scatter combines an update with the element it replaces", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"add", 1>,
      I32EnumAttrCase<"mul", 2>,
      I32EnumAttrCase<"max", 3>,
      I32EnumAttrCase<"min", 4>
    ]> {
  let cppNamespace = "::attnc::attn";
}

def Attn_GeluApproximationAttr : I32EnumAttr<"GeluApproximation",
    "GELU formula", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"tanh", 1>
    ]> {
  let cppNamespace = "::attnc::attn";
}

def Attn_ActivationAttr : I32EnumAttr<"Activation",
    "activation of a linear layer's epilogue", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"relu", 1>,
      I32EnumAttrCase<"gelu", 2>,
      I32EnumAttrCase<"gelu_tanh", 3>,
      I32EnumAttrCase<"silu", 4>
    ]> {
  let cppNamespace = "::attnc::attn";
}

#endif // ATTNC_DIALECT_ATTN_ATTNENUMS_TD

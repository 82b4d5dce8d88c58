// RUN: attnc-opt %s --attnc-demote-weights="element-type=f8" --verify-diagnostics

// expected-error @below {{attnc-demote-weights: element-type must be f16 or bf16, got 'f8'}}
module {
}

// RUN: attnc-opt %s -split-input-file --convert-attn-to-linalg | FileCheck %s

// CHECK-LABEL: func @unary_f32
// CHECK: math.sqrt
// CHECK: arith.divf %cst{{.*}}, %{{.*}} : f32
// CHECK: math.exp
// CHECK: math.log
// CHECK: math.tanh
// CHECK: math.cos
// CHECK: math.sin
// CHECK: arith.negf
// CHECK: math.absf
// CHECK: arith.maximumf
func.func @unary_f32(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = attn.sqrt %x : tensor<?x4xf32>
  %1 = attn.reciprocal %0 : tensor<?x4xf32>
  %2 = attn.exp %1 : tensor<?x4xf32>
  %3 = attn.log %2 : tensor<?x4xf32>
  %4 = attn.tanh %3 : tensor<?x4xf32>
  %c = attn.cos %4 : tensor<?x4xf32>
  %s = attn.sin %c : tensor<?x4xf32>
  %5 = attn.neg %s : tensor<?x4xf32>
  %6 = attn.abs %5 : tensor<?x4xf32>
  %7 = attn.relu %6 : tensor<?x4xf32>
  return %7 : tensor<?x4xf32>
}

// -----

// Integer neg/abs/relu; bool not.
// CHECK-LABEL: func @unary_int
// CHECK: arith.subi %c0_i32, %{{.*}} : i32
// CHECK: math.absi
// CHECK: arith.maxsi
// CHECK: arith.xori %{{.*}}, %true : i1
func.func @unary_int(%x: tensor<3xi32>, %b: tensor<3xi1>) -> (tensor<3xi32>, tensor<3xi1>) {
  %0 = attn.neg %x : tensor<3xi32>
  %1 = attn.abs %0 : tensor<3xi32>
  %2 = attn.relu %1 : tensor<3xi32>
  %3 = attn.not %b : tensor<3xi1>
  return %2, %3 : tensor<3xi32>, tensor<3xi1>
}

// -----

// erf has no LLVM lowering: the pass expands it to a polynomial; no
// math.erf (and no libm call) is left.
// CHECK-LABEL: func @erf
// CHECK-NOT: math.erf
// CHECK: linalg.generic
// CHECK: math.fma
// CHECK-NOT: math.erf
func.func @erf(%x: tensor<?xf32>) -> tensor<?xf32> {
  %0 = attn.erf %x : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// f16 math is computed in f32.
// CHECK-LABEL: func @exp_f16
// CHECK: ^bb0(%[[IN:.*]]: f16, %{{.*}}: f16):
// CHECK: %[[W:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: %[[E:.*]] = math.exp %[[W]] : f32
// CHECK: arith.truncf %[[E]] : f32 to f16
func.func @exp_f16(%x: tensor<4xf16>) -> tensor<4xf16> {
  %0 = attn.exp %x : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

// CHECK-LABEL: func @gelu_erf
// CHECK: arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK-NOT: math.erf
// CHECK: linalg.yield
func.func @gelu_erf(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = attn.gelu %x : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func @gelu_tanh
// CHECK-DAG: arith.constant 4.471500e-02 : f32
// CHECK-DAG: arith.constant 0.797884583 : f32
// CHECK: math.tanh
func.func @gelu_tanh(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = attn.gelu %x approximate = tanh : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Constant exponents 2, 3 and 0.5 need no powf; others do.
// CHECK-LABEL: func @pow
// CHECK: ^bb0(%[[A:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[A]], %[[A]] : f32
// CHECK-NEXT: linalg.yield %[[SQ]]
// CHECK: ^bb0(%[[B:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[B2:.*]] = arith.mulf %[[B]], %[[B]] : f32
// CHECK-NEXT: %[[B3:.*]] = arith.mulf %[[B]], %[[B2]] : f32
// CHECK-NEXT: linalg.yield %[[B3]]
// CHECK: math.sqrt
// CHECK-NOT: math.powf
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.powf %[[X]], %[[Y]] : f32
func.func @pow(%x: tensor<?x8xf32>, %y: tensor<8xf32>) -> tensor<?x8xf32> {
  %c2 = attn.constant dense<2.0> : tensor<f32>
  %c3 = attn.constant dense<3.0> : tensor<f32>
  %ch = attn.constant dense<0.5> : tensor<1xf32>
  %0 = attn.pow %x, %c2 : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %1 = attn.pow %0, %c3 : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %2 = attn.pow %1, %ch : (tensor<?x8xf32>, tensor<1xf32>) -> tensor<?x8xf32>
  %3 = attn.pow %2, %y : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %3 : tensor<?x8xf32>
}

// -----

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func @compare_where
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK: arith.cmpf olt
// CHECK: arith.cmpi ult
// CHECK: arith.cmpi sge
// CHECK: arith.andi
// CHECK: arith.ori
// CHECK: arith.xori
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[SCALAR]], #[[ID]]]
// CHECK: arith.select
func.func @compare_where(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %u: tensor<?x4xi8>, %s: tensor<f32>) -> tensor<?x4xf32> {
  %0 = attn.compare lt, %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %1 = attn.compare lt, %u, %u {is_unsigned} : (tensor<?x4xi8>, tensor<?x4xi8>) -> tensor<?x4xi1>
  %2 = attn.compare ge, %u, %u : (tensor<?x4xi8>, tensor<?x4xi8>) -> tensor<?x4xi1>
  %3 = attn.and %0, %1 : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
  %4 = attn.or %3, %2 : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
  %5 = attn.xor %4, %0 : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
  %6 = attn.where %5, %a, %s : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  return %6 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func @casts
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: arith.fptoui %{{.*}} : f32 to i16
// CHECK: arith.extui %{{.*}} : i1 to i32
// CHECK: arith.cmpf une
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK-NEXT: arith.truncf %{{.*}} : f32 to f16
// CHECK: arith.extsi %{{.*}} : i8 to i64
// CHECK: arith.trunci %{{.*}} : i64 to i8
func.func @casts(%u: tensor<4xi8>, %f: tensor<4xf32>, %b: tensor<4xi1>, %d: tensor<4xf64>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xi16>, tensor<4xi32>, tensor<4xi1>, tensor<4xf16>, tensor<4xi8>) {
  %0 = attn.cast %u {input_unsigned} : tensor<4xi8> -> tensor<4xf32>
  %1 = attn.cast %u : tensor<4xi8> -> tensor<4xf32>
  %2 = attn.cast %f {output_unsigned} : tensor<4xf32> -> tensor<4xi16>
  %3 = attn.cast %b : tensor<4xi1> -> tensor<4xi32>
  %4 = attn.cast %f : tensor<4xf32> -> tensor<4xi1>
  %5 = attn.cast %d : tensor<4xf64> -> tensor<4xf16>
  %6 = attn.cast %u : tensor<4xi8> -> tensor<4xi64>
  %7 = attn.cast %6 : tensor<4xi64> -> tensor<4xi8>
  return %0, %1, %2, %3, %4, %5, %7 : tensor<4xf32>, tensor<4xf32>, tensor<4xi16>, tensor<4xi32>, tensor<4xi1>, tensor<4xf16>, tensor<4xi8>
}

// -----

// CHECK-LABEL: func @div_unsigned
// CHECK: arith.divui
// CHECK: arith.divsi
func.func @div_unsigned(%a: tensor<4xi8>) -> tensor<4xi8> {
  %0 = attn.div %a, %a {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %1 = attn.div %0, %a : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %1 : tensor<4xi8>
}

// -----

// CHECK-LABEL: func.func @silu
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @silu(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = attn.silu %x : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

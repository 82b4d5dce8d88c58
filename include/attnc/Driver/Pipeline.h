//===- Pipeline.h - The staged attnc compilation pipeline -------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Like the Toy tutorial's driver, compilation is a sequence of stages and the
// driver can stop after any of them (`attnc --emit=`):
//
//   attn    ONNX imported to the attn dialect, canonicalized
//   linalg  attn lowered to linalg/tensor, elementwise ops fused
//   llvm    LLVM IR of the model with the ABI symbols
//   obj     an object file for the target
//   so      the model shared object (default)
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_PIPELINE_H
#define ATTNC_DRIVER_PIPELINE_H

#include "attnc/Target/SharedObject.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include <optional>
#include <string>
#include <vector>

namespace attnc {

class StageReporter;

enum class EmitKind { Attn, Linalg, LLVMIR, Object, SharedObject };

/// The CUDA target (--target=cuda): the host code is compiled for
/// `CompileOptions::target` (the host), the kernels for NVIDIA GPUs.
struct GPUOptions {
  bool enabled = false;
  /// Architectures the fatbin holds SASS for (sm_XY); the PTX is generated
  /// for the oldest one and embedded too. Empty: sm_80 and sm_90.
  std::vector<std::string> archs;
  /// CUDA toolkit folder for ptxas/fatbinary; empty: searched.
  std::string toolkit;
  /// Fewest GEMM rows for the shared-memory tiled kernel
  /// (attnc-gpu-tile-contractions); fewer run one thread per output.
  int64_t tileMinRows = 16;
};

/// Storage precision of the constant GEMM weights (`attnc --precision`);
/// computation and accumulation stay f32 either way.
enum class Precision {
  /// As exported.
  F32,
  /// Rounded to bf16 at compile time (attnc-convert-weight-precision;
  /// attnc-demote-weights on the CUDA target).
  BF16,
  /// Rounded to IEEE half (attnc-demote-weights; CUDA target only).
  F16,
};

/// The precision named `name` on the command line ("fp32", "bf16", "fp16"), or
/// std::nullopt for an unknown name.
std::optional<Precision> parsePrecision(llvm::StringRef name);
/// The command-line name of `precision`.
llvm::StringRef stringifyPrecision(Precision precision);
/// Every command-line name, comma separated (for help and errors).
std::string getPrecisionNames();

struct CompileOptions {
  EmitKind emit = EmitKind::SharedObject;
  TargetOptions target;
  GPUOptions gpu;
  /// Threshold of attnc-externalize-weights.
  int64_t minWeightElements = 64;
  /// CPU code generation (attnc-cpu-tile-and-vectorize): vector register
  /// width in bits and register count; 0 = derived from `target`.
  int64_t vectorBits = 0;
  int64_t vectorRegisters = 0;
  /// One core's L2 cache in bytes (bounds the GEMM K blocks); 0 = the
  /// host's when compiling for the host CPU, else 1 MiB.
  int64_t l2CacheBytes = 0;
  /// Bytes ahead of each streamed weight read to prefetch
  /// (attnc-prefetch-weights); 0 = off.
  int64_t prefetchDistance = 4096;
  /// Run the outer tiles on threads (OpenMP; the thread count is chosen at
  /// run time, see docs/abi.md).
  bool parallel = true;
  /// Pack constant GEMM weights into panels (attnc-pack-weights).
  bool packWeights = true;
  /// CPU targets: attention with more query rows than the decode loop nest
  /// takes as the blocked flash kernel (attnc-cpu-flash-attention), else
  /// the reference expansion.
  bool flashAttention = true;
  /// Storage precision of the constant GEMM weights.
  Precision precision = Precision::F32;
  /// Lower the parallel loops to OpenMP; when off they run serially on the
  /// calling thread (cross targets, which have no libomp to link).
  bool openmp = true;
  /// Run the graph fusion passes (attnc-fuse-*); off for importer tests.
  bool fuse = true;
  /// Print the fusion report (attnc-fusion-report) to stdout after the
  /// attn stage.
  bool fusionReport = false;
  /// With a path: also write the model's typed C header there
  /// (--emit-header, Target/CHeader.h; needs EmitKind::SharedObject), its
  /// declarations prefixed `headerName` (default: the output's stem).
  std::string headerPath;
  std::string headerName;
  /// Stage progress and timing (--progress, --time-passes); the caller
  /// reports the import stage before compileModule. nullptr: silent, and
  /// pass timing follows --mlir-timing per stage.
  StageReporter *reporter = nullptr;
};

/// Fills `vectorBits`/`vectorRegisters` of `options` that are 0 from the
/// target's features (AVX-512: 512/32, AVX: 256/16, NEON: 128/32, else
/// 128/16), and a 0 `l2CacheBytes` from the host (host CPU targets) or
/// with 1 MiB.
void resolveCodegenOptions(CompileOptions &options);

/// The GPU architectures of `options` (default sm_80 and sm_90).
std::vector<std::string> resolveGPUArchs(const GPUOptions &options);

/// Registers every dialect, interface and translation attnc's pipeline uses.
void registerAttncDialects(mlir::DialectRegistry &registry);

/// Registers attnc's passes and the named pipelines
/// (`attnc-lower-to-linalg`, `attnc-lower-to-llvm`) for attnc-opt.
void registerAttncPasses();

/// Graph-level cleanup (constant folding, CSE) and, with `fuse`, the
/// fusion passes on the attn dialect.
void buildAttnPipeline(mlir::OpPassManager &pm, bool fuse = true);
/// attn -> linalg on tensors, fused; attention lowered for the CPU (short
/// queries as online-softmax loop nests, longer ones as the blocked flash
/// kernel for `options`' target) or, with `options.gpu.enabled`, for CUDA
/// (online softmax, all).
void buildLinalgPipeline(mlir::OpPassManager &pm,
                         const CompileOptions &options = CompileOptions());
/// linalg on tensors -> LLVM dialect with the ABI entry. Fails when the
/// MLIR passes are not registered (see registerAttncPasses).
mlir::LogicalResult buildLLVMPipeline(mlir::OpPassManager &pm,
                       const CompileOptions &options);

/// The number of stages `attnc --progress` counts up to `emit`: import,
/// fuse, lower, codegen, link.
unsigned getNumCompileStages(EmitKind emit);

/// Runs `module` (freshly imported) through the stages up to
/// `options.emit` and writes the result to `outputPath` ("-" is stdout for
/// text stages). Errors are reported as diagnostics on the module's context.
mlir::LogicalResult compileModule(mlir::ModuleOp module,
                                  const CompileOptions &options,
                                  llvm::StringRef outputPath);

} // namespace attnc

#endif // ATTNC_DRIVER_PIPELINE_H

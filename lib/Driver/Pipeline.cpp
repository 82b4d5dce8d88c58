//===- Pipeline.cpp - The staged attnc compilation pipeline ---------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Driver/Pipeline.h"

#include "attnc/Conversion/Passes.h"
#include "attnc/Dialect/Attn/AttnOps.h"
#include "attnc/Driver/Progress.h"
#include "attnc/Target/CHeader.h"
#include "attnc/Transforms/Fusion.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/Timing.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Target/TargetMachine.h"

#include <unistd.h>

using namespace mlir;
using namespace attnc;

/// The command-line names of the precisions, in enum order.
static constexpr std::pair<Precision, const char *> kPrecisionNames[] = {
    {Precision::F32, "fp32"},
    {Precision::BF16, "bf16"},
    {Precision::F16, "fp16"},
};

std::optional<Precision> attnc::parsePrecision(StringRef name) {
  for (auto [precision, text] : kPrecisionNames)
    if (name == text)
      return precision;
  return std::nullopt;
}

StringRef attnc::stringifyPrecision(Precision precision) {
  for (auto [value, text] : kPrecisionNames)
    if (value == precision)
      return text;
  llvm_unreachable("unknown precision");
}

std::string attnc::getPrecisionNames() {
  std::string names;
  for (auto [precision, text] : kPrecisionNames)
    names += (names.empty() ? "" : ", ") + std::string(text);
  return names;
}

void attnc::registerAttncDialects(DialectRegistry &registry) {
  registry.insert<attn::AttnDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

// Bufferization, shared by the CPU and CUDA lowerings.
#define ATTNC_BUFFERIZE_STAGES                                                 \
  "canonicalize,"                                                              \
  "cse,"                                                                       \
  "eliminate-empty-tensors,"                                                   \
  "one-shot-bufferize,"                                                        \
  "canonicalize,"                                                              \
  "buffer-deallocation-pipeline,"                                              \
  "convert-bufferization-to-memref,"                                           \
  "scf-forall-to-parallel,"                                                    \
  "attnc-lower-strided-copies,"

// The conversions to the LLVM dialect, shared likewise.
#define ATTNC_TO_LLVM_STAGES                                                   \
  "finalize-memref-to-llvm,"                                                   \
  "convert-math-to-llvm,"                                                      \
  "convert-arith-to-llvm,"                                                     \
  "convert-index-to-llvm,"                                                     \
  "convert-func-to-llvm,"                                                      \
  "convert-cf-to-llvm,"                                                        \
  "convert-ub-to-llvm,"

/// Replaces the first `{key}` placeholder of a pipeline text.
static void replacePlaceholder(std::string &text, StringRef key,
                               StringRef value) {
  size_t pos = text.find(key.str());
  if (pos != std::string::npos)
    text.replace(pos, key.size(), value.str());
}

/// Longest query (rows per head) that the CPU pipeline lowers to the
/// online-softmax loop nest instead of the reference expansion: decode steps
/// and short chunks. GPT-2 small, greedy after a 480-token prompt, 1 thread:
/// 27-30 -> 37-38 tokens/s with the loop nest (docs/performance.md).
static constexpr int64_t kCpuFlashQueryRows = 16;

/// Keys per range of the decode loop nest's split-K variant (a KV cache
/// longer than this is walked in ranges on parallel iterations, so that
/// many cores share one head's cache; 512 keys of a 64-wide head are
/// 256 KiB of keys and values).
static constexpr int64_t kCpuFlashSplitKeys = 512;

// The lowering below linalg is a textual pipeline so that `attnc-opt
// --attnc-lower-to-llvm` and the docs show exactly what the compiler runs.
// `{codegen}` is replaced by the options of attnc-cpu-tile-and-vectorize,
// `{prefetch}` by attnc-prefetch-weights' distance, `{omp}`/`{omp-llvm}` by
// the OpenMP stages (or nothing) from CompileOptions.
// clang-format off
static const char *const kLLVMLowering =
    "func.func(attnc-cpu-tile-and-vectorize{codegen}),"
    ATTNC_BUFFERIZE_STAGES
    "func.func(attnc-elide-self-copies),"
    "func.func(attnc-vectorize-copies),"
    "func.func(attnc-prefetch-weights{prefetch}),"
    "convert-linalg-to-loops,"
    "{omp}"
    "func.func(lower-vector-multi-reduction{lowering-strategy=inner-reduction}),"
    "convert-vector-to-scf{full-unroll=true},"
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "convert-vector-to-llvm{vector-contract-lowering=outerproduct "
    "reassociate-fp-reductions=true},"
    ATTNC_TO_LLVM_STAGES
    "{omp-llvm}"
    "reconcile-unrealized-casts";
// clang-format on

// The CUDA lowering: every tensor buffer in device memory, the parallel
// loops of the linalg ops as kernels (outlined into one gpu.module, lowered
// to NVVM, PTX through LLVM's NVPTX backend, then a fatbin), the host code
// as calls of the GPU runtime functions the model's thunks forward to the
// attnc runtime (docs/abi.md). `{chip}`, `{ptx}`, `{archs}` and `{toolkit}`
// come from GPUOptions, `{min-rows}` too.
static const char *const kCUDALowering =
    ATTNC_BUFFERIZE_STAGES
    "func.func(attnc-gpu-tile-contractions{min-rows={min-rows}}),"
    "func.func(attnc-gpu-row-reductions),"
    "convert-linalg-to-parallel-loops,"
    "canonicalize,"
    "attnc-gpu-device-buffers,"
    "func.func(attnc-gpu-map-loops),"
    "canonicalize,"
    "cse,"
    "gpu-kernel-outlining,"
    "attnc-gpu-kernel-module,"
    "nvvm-attach-target{chip={chip} features=+{ptx} O=3},"
    "gpu.module(func.func(lower-vector-multi-reduction),"
    "convert-vector-to-scf{full-unroll=true},"
    "lower-affine,"
    "convert-scf-to-cf,"
    "convert-gpu-to-nvvm{index-bitwidth=64},"
    "canonicalize,"
    "cse),"
    "func.func(gpu-async-region),"
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "gpu-to-llvm,"
    ATTNC_TO_LLVM_STAGES
    "reconcile-unrealized-casts,"
    "attnc-gpu-constants-to-device,"
    "gpu-module-to-binary{format=isa},"
    "attnc-gpu-fatbin{archs={archs} toolkit={toolkit}}";

/// The oldest of `archs` (sm_XY), which the PTX is generated for.
static unsigned oldestArch(const std::vector<std::string> &archs) {
  unsigned oldest = 0;
  for (const std::string &arch : archs)
    if (std::optional<unsigned> sm = parseGPUArch(arch))
      if (oldest == 0 || *sm < oldest)
        oldest = *sm;
  return oldest;
}

std::vector<std::string> attnc::resolveGPUArchs(const GPUOptions &options) {
  if (options.archs.empty())
    return {"sm_80", "sm_90"};
  return options.archs;
}

static std::string cudaLoweringPipeline(const CompileOptions &options) {
  std::vector<std::string> archs = resolveGPUArchs(options.gpu);
  unsigned sm = oldestArch(archs);
  std::string text = kCUDALowering;
  auto replace = [&](StringRef key, StringRef value) {
    replacePlaceholder(text, key, value);
  };
  replace("{min-rows}", std::to_string(options.gpu.tileMinRows));
  replace("{chip}", "sm_" + std::to_string(sm));
  // PTX ISA 8.0 (CUDA 12.0) covers sm_50..sm_90; Blackwell needs 8.6.
  replace("{ptx}", sm >= 100 ? "ptx86" : "ptx80");
  replace("{archs}", llvm::join(archs, ","));
  replace("{toolkit}", "\"" + options.gpu.toolkit + "\"");
  return text;
}

/// One core's L2 cache in bytes when compiling for the host CPU (glibc
/// reads it from CPUID), else 1 MiB: a size between the 512 KiB-2 MiB of
/// current x86 and Arm server cores.
static int64_t resolveL2CacheBytes(const TargetOptions &target) {
  constexpr int64_t kDefault = 1 << 20;
  if (isCrossTarget(target) || !(target.cpu.empty() || target.cpu == "native"))
    return kDefault;
  long bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);
  return bytes > 0 ? bytes : kDefault;
}

void attnc::resolveCodegenOptions(CompileOptions &options) {
  if (options.l2CacheBytes <= 0)
    options.l2CacheBytes = resolveL2CacheBytes(options.target);
  if (options.vectorBits > 0 && options.vectorRegisters > 0)
    return;
  int64_t bits = 128, regs = 16;
  std::string error;
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(options.target, error);
  if (succeeded(tm)) {
    const llvm::MCSubtargetInfo *sti = (*tm)->getMCSubtargetInfo();
    llvm::Triple::ArchType arch = (*tm)->getTargetTriple().getArch();
    if (arch == llvm::Triple::x86_64 || arch == llvm::Triple::x86) {
      if (sti->checkFeatures("+avx512f"))
        bits = 512, regs = 32;
      else if (sti->checkFeatures("+avx"))
        bits = 256, regs = 16;
    } else if (arch == llvm::Triple::aarch64) {
      regs = 32;
    }
  }
  if (options.vectorBits <= 0)
    options.vectorBits = bits;
  if (options.vectorRegisters <= 0)
    options.vectorRegisters = regs;
}

static std::string llvmLoweringPipeline(const CompileOptions &options) {
  std::string codegen = "{vector-bits=" + std::to_string(options.vectorBits) +
                        " vector-registers=" +
                        std::to_string(options.vectorRegisters) +
                        " l2-cache-bytes=" +
                        std::to_string(options.l2CacheBytes) +
                        " parallel=" + (options.parallel ? "true" : "false") +
                        "}";
  std::string text = kLLVMLowering;
  auto replace = [&](StringRef key, StringRef value) {
    replacePlaceholder(text, key, value);
  };
  replace("{codegen}", codegen);
  replace("{prefetch}",
          "{distance=" + std::to_string(options.prefetchDistance) + "}");
  bool openmp = options.parallel && options.openmp;
  replace("{omp}", openmp ? "convert-scf-to-openmp,canonicalize," : "");
  replace("{omp-llvm}", openmp ? "convert-openmp-to-llvm," : "");
  return text;
}

void attnc::buildAttnPipeline(OpPassManager &pm, bool fuse) {
  // Constant folding first: fusion patterns read scales, epsilons and the
  // GELU constants as scalars, which exporters often compute in the graph.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (!fuse)
    return;
  pm.addPass(createFuseNormalization());
  pm.addPass(createFuseActivations());
  pm.addPass(createFuseAttention());
  pm.addPass(createFuseLinear());
  // The transposes and reshapes fusion leaves compose with their producers.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void attnc::buildLinalgPipeline(OpPassManager &pm,
                                const CompileOptions &options) {
  // GPU kernels get the online-softmax attention, one query row per
  // thread. The CPU gets it for short queries (decode steps), where it reads
  // the KV cache once, and the blocked flash kernel for the rest.
  bool gpu = options.gpu.enabled;
  LowerAttentionFlashOptions flash;
  if (!gpu) {
    flash.maxQueryRows = kCpuFlashQueryRows;
    // Split-K sizes its ranges by OpenMP's thread count.
    if (options.parallel && options.openmp && !isCrossTarget(options.target))
      flash.splitKeys = kCpuFlashSplitKeys;
  }
  pm.addPass(createLowerAttentionFlash(flash));
  if (!gpu && options.flashAttention) {
    CompileOptions resolved = options;
    resolveCodegenOptions(resolved);
    CPUFlashAttentionOptions blocked;
    blocked.vectorBits = resolved.vectorBits;
    blocked.vectorRegisters = resolved.vectorRegisters;
    pm.addNestedPass<func::FuncOp>(createCPUFlashAttention(blocked));
  }
  // While a KV cache's concat is still one op (docs/abi.md, `append`).
  pm.addPass(createMarkAppendOutputs());
  pm.addPass(createConvertAttnToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createFuseElementwise());
  pm.addPass(createCanonicalizerPass());
}

LogicalResult attnc::buildLLVMPipeline(OpPassManager &pm,
                                       const CompileOptions &options) {
  if (options.gpu.enabled) {
    if (options.precision != Precision::F32) {
      DemoteWeightsOptions demote;
      demote.elementType = options.precision == Precision::F16 ? "f16" : "bf16";
      pm.addPass(createDemoteWeights(demote));
    }
    ExternalizeWeightsOptions weights;
    weights.minElements = options.minWeightElements;
    pm.addPass(createExternalizeWeights(weights));
    // The host copies of a GPU model's arguments assume contiguous tensors.
    EntryABIOptions abi;
    abi.appendViews = false;
    pm.addPass(createEntryABI(abi));
    return parsePassPipeline(cudaLoweringPipeline(options), pm, llvm::errs());
  }
  CompileOptions resolved = options;
  resolveCodegenOptions(resolved);
  if (options.packWeights) {
    // Panels as wide as the f32 register tile of attnc-cpu-tile-and-vectorize
    // (two vectors).
    PackWeightsOptions pack;
    pack.panelWidth = 2 * std::max<int64_t>(resolved.vectorBits / 32, 1);
    pm.addPass(createPackWeights(pack));
  }
  if (options.precision == Precision::BF16) {
    // After packing, so that the panels are made (and stored) in bf16.
    ConvertWeightPrecisionOptions precision;
    precision.type = "bf16";
    pm.addPass(createConvertWeightPrecision(precision));
  }
  ExternalizeWeightsOptions weights;
  weights.minElements = options.minWeightElements;
  pm.addPass(createExternalizeWeights(weights));
  pm.addPass(createEntryABI());
  // LLVM's libomp is packaged for the host architecture only (Debian's
  // libomp5-22 here), so cross-compiled models run their parallel loops
  // serially (docs/targets.md). The loops stay scf.forall: the tiling and
  // bufferization of serial scf.for tiles take 3-4x longer to compile.
  if (isCrossTarget(options.target))
    resolved.openmp = false;
  // Needs the MLIR passes registered (registerAttncPasses).
  return parsePassPipeline(llvmLoweringPipeline(resolved), pm, llvm::errs());
}

void attnc::registerAttncPasses() {
  registerAllPasses();
  attnc::registerAttncTransformsPasses();
  attnc::registerAttncConversionPasses();
  PassPipelineRegistration<>(
      "attnc-lower-to-linalg",
      "attnc's attn cleanup and attn -> linalg stages (--emit=linalg)",
      [](OpPassManager &pm) {
        buildAttnPipeline(pm);
        buildLinalgPipeline(pm);
      });
  PassPipelineRegistration<>(
      "attnc-lower-to-llvm",
      "attnc's lowering from linalg on tensors to the LLVM dialect",
      [](OpPassManager &pm) {
        (void)buildLLVMPipeline(pm, CompileOptions());
      });
}

/// Runs `pm` on `module`, with the command-line pass manager options
/// (--mlir-print-ir-after-all, ...) applied; passes are timed inside the
/// reporter's current stage, or per stage with --mlir-timing without one.
static LogicalResult runStage(ModuleOp module, PassManager &pm,
                              StageReporter *reporter) {
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  if (reporter)
    reporter->timePasses(pm);
  else
    applyDefaultTimingPassManagerCLOptions(pm);
  return pm.run(module);
}

unsigned attnc::getNumCompileStages(EmitKind emit) {
  switch (emit) {
  case EmitKind::Attn:
    return 2;
  case EmitKind::Linalg:
    return 3;
  case EmitKind::LLVMIR:
  case EmitKind::Object:
    return 4;
  case EmitKind::SharedObject:
    return 5;
  }
  return 5;
}

static uint64_t weightBytes(const ModelPayload &payload) {
  uint64_t total = 0;
  for (const auto &weight : payload.weights)
    total += weight.bytes.size();
  return total;
}

/// Writes the C header of --emit-header for the .so at `soPath`.
static LogicalResult writeHeader(const CompileOptions &options,
                                 StringRef metadata, StringRef soPath,
                                 std::string &error) {
  SmallString<256> absolute(soPath);
  llvm::sys::fs::make_absolute(absolute);
  std::string name = options.headerName.empty()
                         ? llvm::sys::path::stem(soPath).str()
                         : options.headerName;
  std::string text;
  llvm::raw_string_ostream os(text);
  if (failed(writeCHeader(metadata, name, absolute, os, error)))
    return failure();
  std::string openError;
  auto out = openOutputFile(options.headerPath, &openError);
  if (!out) {
    error = openError;
    return failure();
  }
  out->os() << text;
  out->keep();
  return success();
}

static LogicalResult writeText(StringRef path,
                               function_ref<void(raw_ostream &)> write) {
  std::string error;
  auto out = openOutputFile(path, &error);
  if (!out) {
    llvm::errs() << "attnc: error: " << error << "\n";
    return failure();
  }
  write(out->os());
  out->keep();
  return success();
}

LogicalResult attnc::compileModule(ModuleOp module,
                                   const CompileOptions &options,
                                   StringRef outputPath) {
  MLIRContext *ctx = module.getContext();
  StageReporter *reporter = options.reporter;
  auto beginStage = [&](StringRef name, const Twine &detail) {
    if (reporter)
      reporter->beginStage(name, detail);
  };
  auto note = [&](const Twine &message) {
    if (reporter)
      reporter->note(message);
  };
  auto nestTimer = [&](StringRef name) {
    return reporter ? reporter->nestTimer(name) : TimingScope();
  };
  // Ends the last stage however compilation ends, so that its time is
  // printed and its timer stopped before the report.
  llvm::scope_exit endStages([&] {
    if (reporter)
      reporter->endStage();
  });
  if (!options.headerPath.empty() && options.emit != EmitKind::SharedObject) {
    emitError(module.getLoc()) << "--emit-header needs --emit=so";
    return failure();
  }

  beginStage("fuse", options.fuse ? "constant folding; attention, "
                                    "normalization, activation and linear "
                                    "fusion"
                                  : "constant folding (fusion off)");
  {
    PassManager pm(ctx);
    buildAttnPipeline(pm, options.fuse);
    if (failed(runStage(module, pm, reporter)))
      return failure();
  }
  if (options.fusionReport) {
    printFusionReport(module, llvm::outs());
    // Before any `-o -` output, which goes through its own stream.
    llvm::outs().flush();
  }
  if (options.emit == EmitKind::Attn)
    return writeText(outputPath, [&](raw_ostream &os) { module.print(os); });
  beginStage("lower", options.emit == EmitKind::Linalg
                          ? "attn to linalg"
                          : "attn to linalg, tiling and vectorization, "
                            "bufferization, LLVM dialect");
  {
    PassManager pm(ctx);
    buildLinalgPipeline(pm, options);
    if (failed(runStage(module, pm, reporter)))
      return failure();
  }
  if (options.emit == EmitKind::Linalg)
    return writeText(outputPath, [&](raw_ostream &os) { module.print(os); });
  {
    PassManager pm(ctx);
    if (failed(buildLLVMPipeline(pm, options)) ||
        failed(runStage(module, pm, reporter)))
      return failure();
  }

  std::string error;
  auto fail = [&]() {
    emitError(module.getLoc()) << error;
    return failure();
  };
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(options.target, error);
  if (failed(tm))
    return fail();
  FailureOr<ModelPayload> payload = extractPayload(module);
  if (failed(payload))
    return failure();
  if (options.gpu.enabled)
    payload->metadata +=
        "device cuda " + llvm::join(resolveGPUArchs(options.gpu), ",") + "\n";
  uint64_t totalWeightBytes = weightBytes(*payload);
  beginStage("codegen", "LLVM IR, O" + Twine(options.target.optLevel) +
                            ", object code for " +
                            (*tm)->getTargetTriple().str());

  // Temporary folder for the weight blob and the object file.
  SmallString<128> tmpDir;
  if (auto ec = llvm::sys::fs::createUniqueDirectory("attnc", tmpDir)) {
    error = "cannot create a temporary directory: " + ec.message();
    return fail();
  }
  auto cleanup = llvm::make_scope_exit([&] {
    llvm::sys::fs::remove_directories(tmpDir);
  });
  SmallString<128> blobPath(tmpDir), objPath(tmpDir);
  llvm::sys::path::append(blobPath, "weights.bin");
  llvm::sys::path::append(objPath, "model.o");
  bool needsBlob = options.emit != EmitKind::LLVMIR;
  if (needsBlob) {
    TimingScope timer = nestTimer("write weights");
    auto onWrite = [&](uint64_t done) {
      if (reporter)
        reporter->bytes("weights", done, totalWeightBytes);
    };
    if (failed(writeWeightBlob(*payload, blobPath, error, onWrite)))
      return fail();
    note("weights: " + Twine(payload->weights.size()) + " tensors, " +
         formatByteSize(totalWeightBytes) + " written");
  }
  // The weights live on in the blob file only: code generation reads it
  // (.incbin), so the in-memory copy would double the peak.
  if (needsBlob)
    releaseWeightData(*payload);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
  {
    TimingScope timer = nestTimer("translate to LLVM IR");
    llvmModule =
        translateToLLVMIR(module, llvmContext, **tm, *payload,
                          needsBlob ? StringRef(blobPath) : StringRef());
  }
  if (!llvmModule)
    return failure();
  {
    note("optimizing LLVM IR (O" + Twine(options.target.optLevel) + ")");
    TimingScope timer = nestTimer("LLVM optimization");
    optimizeModule(*llvmModule, **tm, options.target.optLevel);
  }
  if (options.emit == EmitKind::LLVMIR)
    return writeText(outputPath,
                     [&](raw_ostream &os) { llvmModule->print(os, nullptr); });

  StringRef objTarget =
      options.emit == EmitKind::Object ? outputPath : StringRef(objPath);
  {
    std::string openError;
    auto out = openOutputFile(objTarget, &openError);
    if (!out) {
      error = openError;
      return fail();
    }
    note("emitting object code");
    TimingScope timer = nestTimer("object emission");
    if (failed(emitObject(*llvmModule, **tm, out->os(), error)))
      return fail();
    out->keep();
  }
  if (options.emit == EmitKind::Object)
    return success();
  if (outputPath == "-") {
    error = "cannot write a shared object to stdout; use -o FILE";
    return fail();
  }
  bool openmp = llvmModule->getFunction("__kmpc_fork_call") != nullptr;
  beginStage("link", "ld.lld -shared -> " + outputPath);
  {
    TimingScope timer = nestTimer("ld.lld");
    if (failed(linkSharedObject(objPath, outputPath, options.target, error,
                                openmp)))
      return fail();
  }
  uint64_t soSize = 0;
  if (!llvm::sys::fs::file_size(outputPath, soSize))
    note(formatByteSize(soSize));
  if (!options.headerPath.empty()) {
    if (failed(writeHeader(options, getModelMetadata(*payload, **tm),
                           outputPath, error)))
      return fail();
    note("C header " + options.headerPath);
  }
  return success();
}

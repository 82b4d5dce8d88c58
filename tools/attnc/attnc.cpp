//===- attnc.cpp - The attnc compiler driver ------------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
//   attnc model.onnx -o model.so
//   attnc model.onnx --emit=attn -o -
//
//===----------------------------------------------------------------------===//

#include "attnc/Driver/Pipeline.h"
#include "attnc/Driver/Progress.h"
#include "attnc/Import/OnnxImporter.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Pass.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

using namespace llvm;
using namespace attnc;

static cl::OptionCategory category("attnc options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<model.onnx>"),
                                      cl::cat(category));
static cl::opt<std::string>
    outputFile("o", cl::desc("Output file ('-' for stdout; default: the "
                             "input's name with the stage's extension)"),
               cl::value_desc("file"), cl::cat(category));
static cl::opt<EmitKind> emit(
    "emit", cl::desc("Stop after this stage"), cl::init(EmitKind::SharedObject),
    cl::values(clEnumValN(EmitKind::Attn, "attn", "attn dialect (.mlir)"),
               clEnumValN(EmitKind::Linalg, "linalg",
                          "linalg on tensors (.mlir)"),
               clEnumValN(EmitKind::LLVMIR, "llvm", "LLVM IR (.ll)"),
               clEnumValN(EmitKind::Object, "obj", "object file (.o)"),
               clEnumValN(EmitKind::SharedObject, "so",
                          "model shared object (.so, default)")),
    cl::cat(category));
static cl::opt<OnnxFormat> inputFormat(
    "input-format", cl::desc("Encoding of the model file"),
    cl::init(OnnxFormat::Auto),
    cl::values(
        clEnumValN(OnnxFormat::Auto, "auto", "from the extension (default)"),
        clEnumValN(OnnxFormat::Binary, "onnx", "binary protobuf"),
        clEnumValN(OnnxFormat::TextProto, "textproto",
                   "protobuf text format"),
        clEnumValN(OnnxFormat::Text, "onnxtxt", "ONNX textual syntax")),
    cl::cat(category));
static cl::opt<std::string> mtriple("mtriple",
                                    cl::desc("Target triple (default: host)"),
                                    cl::cat(category));
static cl::alias target("target",
                        cl::desc("Alias for --mtriple: host, "
                                 "x86_64-linux-gnu, aarch64-linux-gnu or "
                                 "cuda (host code for this machine, kernels "
                                 "for NVIDIA GPUs)"),
                        cl::aliasopt(mtriple), cl::cat(category));
static cl::list<std::string>
    gpuArchs("gpu-arch",
             cl::desc("With --target=cuda: GPU architectures to build SASS "
                      "for (default sm_80,sm_90)"),
             cl::CommaSeparated, cl::cat(category));
static cl::opt<int64_t> gpuTileMinRows(
    "gpu-tile-min-rows",
    cl::desc("With --target=cuda: fewest rows (batch x tokens) for which a "
             "GEMM runs as the shared-memory tiled kernel (default 16); "
             "fewer run one thread per output"),
    cl::init(16), cl::cat(category));
static cl::opt<std::string>
    cudaPath("cuda-path",
             cl::desc("With --target=cuda: the CUDA toolkit folder (ptxas, "
                      "fatbinary); default $ATTNC_CUDA_PATH, $CUDA_PATH, "
                      "/usr/local/cuda or PATH"),
             cl::cat(category));
static cl::opt<std::string>
    mcpu("mcpu", cl::desc("Target CPU (default: the host CPU, 'native')"),
         cl::cat(category));
static cl::opt<std::string> mattr("mattr",
                                  cl::desc("Extra target features (+f,-g)"),
                                  cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level"),
                                  cl::Prefix, cl::init(3), cl::cat(category));
static cl::opt<bool>
    fuse("fuse",
         cl::desc("Run the graph fusion passes (attention, LayerNorm, GELU); "
                  "--fuse=false shows the imported graph after folding"),
         cl::init(true), cl::cat(category));
static cl::opt<bool> packWeights(
    "pack-weights",
    cl::desc("Store constant GEMM weights in the kernel's panel layout "
             "(--pack-weights=false keeps them as exported, for comparison)"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> flashAttention(
    "flash-attention",
    cl::desc("CPU targets: lower attention with many query rows to the "
             "blocked flash kernel (--flash-attention=false keeps the "
             "expansion into matmuls and softmax, for comparison)"),
    cl::init(true), cl::cat(category));
static cl::opt<int64_t> prefetchDistance(
    "weight-prefetch",
    cl::desc("Bytes ahead of each weight read in the CPU kernels' inner loops "
             "to prefetch (default 4096; 0 turns the prefetches off)"),
    cl::init(4096), cl::cat(category));
static cl::opt<std::string> precision(
    "precision",
    cl::desc("Storage precision of the constant weights: fp32 (default), "
             "bf16, or fp16 (--target=cuda only); rounded at compile time, "
             "half the bytes; products and sums stay fp32"),
    cl::value_desc("fp32|bf16|fp16"), cl::init("fp32"), cl::cat(category));
static cl::opt<bool> fusionReport(
    "fusion-report",
    cl::desc("Print each fused op with the ONNX nodes it absorbed, totals, "
             "and attention-like graphs left unfused with the reason"),
    cl::cat(category));
static cl::opt<std::string> emitHeader(
    "emit-header",
    cl::desc("Also write a C header with a typed interface to the model "
             "(<name>_load/_run, input/output structs; --emit=so only)"),
    cl::value_desc("file.h"), cl::cat(category));
static cl::opt<std::string>
    modelName("model-name",
              cl::desc("C prefix of the header's declarations (default: "
                       "the output file's stem)"),
              cl::value_desc("name"), cl::cat(category));
static cl::opt<cl::boolOrDefault> progress(
    "progress",
    cl::desc("Print the compilation stages (import, fuse, lower, codegen, "
             "link) and weight bytes written on stderr (default: when stderr "
             "is a terminal; --progress=false turns it off)"),
    cl::cat(category));
static cl::list<std::string> constInputs(
    "const-input",
    cl::desc("Compile with graph input NAME fixed to the tensor in FILE (an "
             "ONNX TensorProto, as input_N.pb of ONNX test data); the model "
             "then no longer takes that input. For shape parameters fed as "
             "inputs (Reshape shape, Reduce axes); repeatable"),
    cl::value_desc("NAME=FILE"), cl::cat(category));
static cl::opt<bool> listOps("list-ops",
                             cl::desc("Print the supported ONNX ops and exit"),
                             cl::cat(category));

static StringRef defaultExtension(EmitKind kind) {
  switch (kind) {
  case EmitKind::Attn:
  case EmitKind::Linalg:
    return ".mlir";
  case EmitKind::LLVMIR:
    return ".ll";
  case EmitKind::Object:
    return ".o";
  case EmitKind::SharedObject:
    return ".so";
  }
  return "";
}

static void printSupportedOps(raw_ostream &os) {
  os << "| domain | op | opsets | notes |\n|---|---|---|---|\n";
  for (const SupportedOp &op : getSupportedOnnxOps())
    os << "| " << op.domain << " | " << op.opType << " | " << op.minOpset
       << "-" << op.maxOpset << " | " << op.notes << " |\n";
}

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  registerAttncPasses();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "attnc " ATTNC_VERSION " (LLVM/MLIR " LLVM_VERSION_STRING ")\n";
  });
  // Keep --help short: our options plus the pass manager's debugging ones.
  cl::HideUnrelatedOptions(category);
  // --time-passes is LLVM's own option (llvm::TimePassesIsEnabled): with it
  // LLVM also reports its code generation passes after attnc's report.
  if (auto it = cl::getRegisteredOptions().find("time-passes");
      it != cl::getRegisteredOptions().end())
    it->second->setDescription(
        "Print the time of every stage (import, fuse, lower, codegen, link) "
        "with every MLIR pass, the LLVM optimization, object emission and "
        "link nested in it, then LLVM's code generation pass timings");
  for (const char *name :
       {"time-passes", "mlir-timing", "mlir-print-ir-after-all",
        "mlir-print-ir-before-all", "mlir-pass-statistics",
        "mlir-print-ir-after-failure"}) {
    auto it = cl::getRegisteredOptions().find(name);
    if (it != cl::getRegisteredOptions().end()) {
      it->second->setHiddenFlag(cl::NotHidden);
      it->second->addCategory(category);
    }
  }
  cl::ParseCommandLineOptions(
      argc, argv,
      "attnc: compiles an ONNX transformer into a native shared library\n\n"
      "  attnc model.onnx -o model.so\n");

  if (listOps) {
    printSupportedOps(outs());
    return 0;
  }
  if (inputFile.empty()) {
    errs() << "attnc: error: no input model (try --help)\n";
    return 1;
  }
  std::string output = outputFile;
  if (output.empty()) {
    SmallString<128> path(inputFile.getValue() == "-" ? "model"
                                                       : inputFile.getValue());
    sys::path::replace_extension(path, defaultExtension(emit));
    output = std::string(path);
  }

  // Options and target are checked before the (slow) import so that a typo
  // fails at once.
  std::optional<Precision> weightPrecision = parsePrecision(precision);
  if (!weightPrecision) {
    errs() << "attnc: error: unknown --precision '" << precision
           << "' (expected one of: " << getPrecisionNames() << ")\n";
    return 1;
  }
  attnc::TargetOptions targetOptions;
  targetOptions.cpu = mcpu;
  targetOptions.features = mattr;
  targetOptions.optLevel = optLevel;
  std::string targetError;
  // --target=cuda: the host code is compiled for the host.
  bool cuda = mtriple == "cuda" || mtriple == "nvptx64-nvidia-cuda";
  if (!cuda && (!gpuArchs.empty() || !cudaPath.empty() ||
                gpuTileMinRows.getNumOccurrences())) {
    errs() << "attnc: error: --gpu-arch, --gpu-tile-min-rows and --cuda-path "
              "need --target=cuda\n";
    return 1;
  }
  if (prefetchDistance < 0 || prefetchDistance > (int64_t(1) << 20)) {
    errs() << "attnc: error: --weight-prefetch must be in [0, 1048576] "
              "bytes\n";
    return 1;
  }
  if (gpuTileMinRows < 1 || gpuTileMinRows > 65535) {
    errs() << "attnc: error: --gpu-tile-min-rows must be in [1, 65535]\n";
    return 1;
  }
  for (const std::string &arch : gpuArchs) {
    std::optional<unsigned> sm = attnc::parseGPUArch(arch);
    if (!sm || *sm < 50) {
      errs() << "attnc: error: bad --gpu-arch '" << arch
             << "' (expected sm_XY with XY >= 50, e.g. sm_80,sm_90)\n";
      return 1;
    }
  }
  if (!cuda && *weightPrecision == attnc::Precision::F16) {
    errs() << "attnc: error: --precision=fp16 is supported for "
              "--target=cuda only (CPUs: bf16)\n";
    return 1;
  }
  FailureOr<std::string> triple =
      resolveTargetTriple(cuda ? "host" : mtriple.getValue(), targetError);
  if (succeeded(triple))
    targetOptions.triple = *triple;
  if (failed(triple) ||
      failed(createTargetMachine(targetOptions, targetError))) {
    errs() << "attnc: error: " << targetError << "\n";
    return 1;
  }
  // One timing report for the whole run (--time-passes or --mlir-timing),
  // printed when `timingManager` is destroyed, after `rootTiming` stops.
  mlir::DefaultTimingManager timingManager;
  mlir::applyDefaultTimingManagerCLOptions(timingManager);
  if (TimePassesIsEnabled) {
    timingManager.setEnabled(true);
    timingManager.setDisplayMode(mlir::DefaultTimingManager::DisplayMode::Tree);
  }
  mlir::TimingScope rootTiming = timingManager.getRootScope();
  bool terminal = errs().is_displayed();
  bool showProgress =
      progress == cl::BOU_TRUE || (progress == cl::BOU_UNSET && terminal);
  StageReporter reporter(showProgress ? &errs() : nullptr, terminal, rootTiming,
                         getNumCompileStages(emit));

  mlir::DialectRegistry registry;
  registerAttncDialects(registry);
  mlir::MLIRContext context(registry);
  SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  uint64_t inputSize = 0;
  std::string sizeText;
  if (!sys::fs::file_size(inputFile, inputSize))
    sizeText = " (" + formatByteSize(inputSize) + ")";
  reporter.beginStage("import", inputFile + sizeText);
  ImportOptions importOptions;
  importOptions.format = inputFormat;
  for (const std::string &spec : constInputs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      errs() << "attnc: --const-input expects NAME=FILE, got '" << spec
             << "'\n";
      return 1;
    }
    importOptions.constantInputs.emplace_back(spec.substr(0, eq),
                                              spec.substr(eq + 1));
  }
  mlir::OwningOpRef<mlir::ModuleOp> module =
      importOnnxFile(&context, inputFile, importOptions);
  if (!module)
    return 1;

  CompileOptions options;
  options.emit = emit;
  options.target = targetOptions;
  options.gpu.enabled = cuda;
  options.gpu.archs.assign(gpuArchs.begin(), gpuArchs.end());
  options.gpu.toolkit = cudaPath;
  options.gpu.tileMinRows = gpuTileMinRows;
  options.fuse = fuse;
  options.packWeights = packWeights;
  options.flashAttention = flashAttention;
  options.prefetchDistance = prefetchDistance;
  options.precision = *weightPrecision;
  options.fusionReport = fusionReport;
  options.headerPath = emitHeader;
  options.headerName = modelName;
  options.reporter = &reporter;
  if (mlir::failed(compileModule(*module, options, output)))
    return 1;
  return 0;
}

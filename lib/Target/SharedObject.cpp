//===- SharedObject.cpp - LLVM dialect to a model .so ---------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Target/SharedObject.h"
#include "attnc/Target/GPUHooks.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
using namespace attnc;

/// Version of the compiled-model ABI (docs/abi.md); the runtime checks it.
static constexpr uint32_t kAbiVersion = 1;
static constexpr unsigned kWeightAlignment = 64;

llvm::ArrayRef<llvm::StringRef> attnc::getKnownTargets() {
  static const llvm::StringRef targets[] = {"x86_64-linux-gnu",
                                            "aarch64-linux-gnu"};
  return targets;
}

FailureOr<std::string> attnc::resolveTargetTriple(StringRef name,
                                                  std::string &error) {
  if (name.empty() || name == "host")
    return std::string();
  // Accept vendor spellings of the known targets (aarch64-unknown-linux-gnu)
  // by comparing arch, OS and environment, not the string.
  llvm::Triple triple(llvm::Triple::normalize(name));
  for (StringRef known : getKnownTargets()) {
    llvm::Triple k(llvm::Triple::normalize(known));
    if (triple.getArch() == k.getArch() && triple.getOS() == k.getOS() &&
        triple.getEnvironment() == k.getEnvironment())
      return known.str();
  }
  error = "unknown target '" + name.str() + "'; known targets: host";
  for (StringRef known : getKnownTargets())
    error += ", " + known.str();
  return failure();
}

bool attnc::isCrossTarget(const TargetOptions &options) {
  if (options.triple.empty())
    return false;
  return llvm::Triple(options.triple).getArch() !=
         llvm::Triple(llvm::sys::getProcessTriple()).getArch();
}

FailureOr<std::unique_ptr<llvm::TargetMachine>>
attnc::createTargetMachine(const TargetOptions &options, std::string &error) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  llvm::InitializeAllAsmParsers();

  llvm::Triple triple(options.triple.empty() ? llvm::sys::getProcessTriple()
                                             : options.triple);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return failure();
  bool native = options.triple.empty() || triple.str() ==
                                              llvm::sys::getProcessTriple();
  std::string cpu = options.cpu;
  std::string features;
  if (cpu.empty() || cpu == "native") {
    cpu = native ? llvm::sys::getHostCPUName().str() : "generic";
    if (native)
      for (const auto &f : llvm::sys::getHostCPUFeatures())
        features += (f.second ? "+" : "-") + f.first().str() + ",";
  }
  features += options.features;
  // LLVM only warns about an unknown CPU and then generates code for a
  // baseline one; a typo in --mcpu should not silently lose NEON/AVX tuning.
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(triple, "", ""));
  if (sti && !sti->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu + "' for " + triple.str() +
            " (llc-22 -mtriple=" + triple.str() + " -mcpu=help lists them)";
    return failure();
  }
  llvm::TargetOptions targetOptions;
  auto level = options.optLevel == 0   ? llvm::CodeGenOptLevel::None
               : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                       : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      level));
  if (!tm) {
    error = "cannot create a target machine for " + triple.str();
    return failure();
  }
  return tm;
}

/// The bytes of a weight as the generated code reads them (bool: 1 byte):
/// a view of a resource blob, or converted into `w.storage`.
static LogicalResult elementsBytes(ElementsAttr attr, ModelWeight &w) {
  auto type = attr.getShapedType();
  int64_t n = type.getNumElements();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    w.bytes = blob->getData();
    w.size = w.bytes.size();
    w.blob = blob;
    return success();
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return failure();
  std::vector<char> &out = w.storage;
  if (type.getElementType().isInteger(1)) {
    for (bool b : dense.getValues<bool>())
      out.push_back(b ? 1 : 0);
  } else if (ArrayRef<char> raw = dense.getRawData(); dense.isSplat()) {
    out.reserve(raw.size() * n);
    for (int64_t i = 0; i < n; ++i)
      out.insert(out.end(), raw.begin(), raw.end());
  } else {
    out.assign(raw.begin(), raw.end());
  }
  w.bytes = w.storage;
  w.size = w.bytes.size();
  return success();
}

FailureOr<ModelPayload> attnc::extractPayload(ModuleOp module) {
  ModelPayload payload;
  auto metadata = module->getAttrOfType<StringAttr>(kMetadataAttrName);
  if (!metadata)
    return module.emitError("module has no ")
           << kMetadataAttrName << " (was attnc-entry-abi run?)";
  payload.metadata = metadata.getValue().str();
  if (auto weights = module->getAttrOfType<DictionaryAttr>(kWeightsAttrName)) {
    for (NamedAttribute w : weights) {
      auto elements = dyn_cast<ElementsAttr>(w.getValue());
      ModelWeight &weight = payload.weights.emplace_back();
      weight.name = w.getName().str();
      if (!elements || failed(elementsBytes(elements, weight)))
        return module.emitError("weight ")
               << w.getName() << " has no readable data";
    }
  }
  module->removeAttr(kMetadataAttrName);
  module->removeAttr(kWeightsAttrName);
  return payload;
}

void attnc::releaseWeightData(ModelPayload &payload) {
  for (ModelWeight &w : payload.weights) {
    w.bytes = {};
    w.storage = {};
    if (w.blob)
      *w.blob = AsmResourceBlob(); // runs the old blob's deleter
    w.blob = nullptr;
  }
}

static uint64_t alignTo(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

std::string attnc::getModelMetadata(const ModelPayload &payload,
                                    const llvm::TargetMachine &tm) {
  return payload.metadata + "compiler " ATTNC_VERSION "\n" + "target " +
         tm.getTargetTriple().str() + "\n";
}

LogicalResult attnc::writeWeightBlob(const ModelPayload &payload,
                                     StringRef path, std::string &error,
                                     function_ref<void(uint64_t)> onWrite) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    error = "cannot write " + path.str() + ": " + ec.message();
    return failure();
  }
  uint64_t offset = 0, written = 0;
  for (const ModelWeight &w : payload.weights) {
    uint64_t aligned = alignTo(offset, kWeightAlignment);
    os.write_zeros(aligned - offset);
    os.write(w.bytes.data(), w.bytes.size());
    offset = aligned + w.bytes.size();
    written += w.bytes.size();
    if (onWrite)
      onWrite(written);
  }
  if (onWrite && payload.weights.empty())
    onWrite(0);
  os.close();
  if (os.has_error()) {
    error = "cannot write " + path.str();
    return failure();
  }
  return success();
}

/// Module-level assembly that defines every weight symbol inside one
/// `.incbin` of the blob, so the assembler reads the file once.
static std::string weightAssembly(const ModelPayload &payload,
                                  StringRef blobPath) {
  std::string escaped;
  for (char c : blobPath) {
    if (c == '"' || c == '\\')
      escaped.push_back('\\');
    escaped.push_back(c);
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << ".section .rodata.attnc_weights,\"a\",@progbits\n"
     << ".p2align 6\n"
     << "__attnc_weights_begin:\n"
     << ".incbin \"" << escaped << "\"\n";
  uint64_t offset = 0;
  for (const ModelWeight &w : payload.weights) {
    uint64_t aligned = alignTo(offset, kWeightAlignment);
    os << ".globl " << w.name << "\n.hidden " << w.name << "\n.type " << w.name
       << ",@object\n.set " << w.name << ", __attnc_weights_begin + " << aligned
       << "\n.size " << w.name << ", " << w.size << "\n";
    offset = aligned + w.size;
  }
  os << ".text\n";
  return s;
}

/// Defines `int32_t attnc_model_run(void **args)`, which unpacks one
/// descriptor pointer per argument and calls the C-interface entry.
static LogicalResult addPackedEntry(llvm::Module &m) {
  std::string cifaceName = ("_mlir_ciface_" + kEntryFunctionName).str();
  llvm::Function *ciface = m.getFunction(cifaceName);
  if (!ciface)
    return failure();
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *fnTy = llvm::FunctionType::get(i32, {ptrTy}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::GlobalValue::ExternalLinkage,
                                    "attnc_model_run", m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  SmallVector<llvm::Value *> args;
  for (unsigned i = 0, e = ciface->arg_size(); i < e; ++i) {
    llvm::Value *slot =
        b.CreateConstGEP1_64(ptrTy, fn->getArg(0), i, "arg.slot");
    args.push_back(b.CreateLoad(ptrTy, slot, "arg"));
  }
  b.CreateRet(b.CreateCall(ciface, args));
  return success();
}

/// Defines `void attnc_model_set_num_threads(int32_t n)` (docs/abi.md):
/// the OpenMP thread count of later runs on the calling thread; n <= 0
/// restores the default that libomp had when the .so was loaded
/// (OMP_NUM_THREADS or the number of cores).
static void addSetNumThreads(llvm::Module &m) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *voidTy = llvm::Type::getVoidTy(ctx);
  llvm::FunctionCallee getMax =
      m.getOrInsertFunction("omp_get_max_threads", i32);
  llvm::FunctionCallee setNum =
      m.getOrInsertFunction("omp_set_num_threads", voidTy, i32);
  auto *defaultThreads = new llvm::GlobalVariable(
      m, i32, /*isConstant=*/false, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantInt::get(i32, 0), "__attnc_default_threads");

  auto *ctor = llvm::Function::Create(
      llvm::FunctionType::get(voidTy, false),
      llvm::GlobalValue::InternalLinkage, "__attnc_init_threads", m);
  {
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", ctor));
    b.CreateStore(b.CreateCall(getMax), defaultThreads);
    b.CreateRetVoid();
  }
  llvm::appendToGlobalCtors(m, ctor, /*Priority=*/65535);

  auto *fn = llvm::Function::Create(
      llvm::FunctionType::get(voidTy, {i32}, false),
      llvm::GlobalValue::ExternalLinkage, "attnc_model_set_num_threads", m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  llvm::Value *n = fn->getArg(0);
  llvm::Value *fallback = b.CreateLoad(i32, defaultThreads);
  llvm::Value *positive = b.CreateICmpSGT(n, llvm::ConstantInt::get(i32, 0));
  b.CreateCall(setNum, {b.CreateSelect(positive, n, fallback)});
  b.CreateRetVoid();
}

/// Routes the generated code's malloc/free through two function pointers
/// that default to libc's and that the runtime may replace with
/// `void attnc_model_set_allocator(void *(*alloc)(size_t),
/// void (*release)(void *))` (docs/abi.md), so that a session can keep its
/// intermediate buffers between runs instead of faulting in fresh pages
/// every time. NULL restores libc's functions.
static void addAllocatorHooks(llvm::Module &m) {
  llvm::Function *mallocFn = m.getFunction("malloc");
  llvm::Function *freeFn = m.getFunction("free");
  if (!mallocFn && !freeFn)
    return;
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *voidTy = llvm::Type::getVoidTy(ctx);
  llvm::Type *sizeTy = m.getDataLayout().getIntPtrType(ctx);
  auto *allocTy = llvm::FunctionType::get(ptrTy, {sizeTy}, false);
  auto *releaseTy = llvm::FunctionType::get(voidTy, {ptrTy}, false);
  llvm::FunctionCallee libcMalloc = m.getOrInsertFunction("malloc", allocTy);
  llvm::FunctionCallee libcFree = m.getOrInsertFunction("free", releaseTy);
  auto makeSlot = [&](llvm::FunctionCallee init, StringRef name) {
    return new llvm::GlobalVariable(
        m, ptrTy, /*isConstant=*/false, llvm::GlobalValue::InternalLinkage,
        llvm::cast<llvm::Constant>(init.getCallee()), name);
  };
  llvm::GlobalVariable *allocSlot = makeSlot(libcMalloc, "__attnc_alloc_fn");
  llvm::GlobalVariable *releaseSlot = makeSlot(libcFree, "__attnc_free_fn");

  // Internal wrappers that call through the slots.
  auto makeWrapper = [&](llvm::FunctionType *type, llvm::GlobalVariable *slot,
                         StringRef name) {
    auto *fn = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage,
                                      name, m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
    llvm::Value *target = b.CreateLoad(ptrTy, slot);
    SmallVector<llvm::Value *> args;
    for (llvm::Argument &arg : fn->args())
      args.push_back(&arg);
    llvm::CallInst *call = b.CreateCall(type, target, args);
    if (type->getReturnType()->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(call);
    return fn;
  };
  llvm::Function *allocWrapper =
      makeWrapper(allocTy, allocSlot, "__attnc_alloc");
  llvm::Function *releaseWrapper =
      makeWrapper(releaseTy, releaseSlot, "__attnc_free");
  for (auto [libc, wrapper] : {std::pair(mallocFn, allocWrapper),
                               std::pair(freeFn, releaseWrapper)}) {
    if (!libc)
      continue;
    SmallVector<llvm::CallInst *> calls;
    for (llvm::User *user : libc->users())
      if (auto *call = llvm::dyn_cast<llvm::CallInst>(user))
        if (call->getCalledFunction() == libc &&
            call->getFunction() != wrapper)
          calls.push_back(call);
    for (llvm::CallInst *call : calls)
      call->setCalledFunction(wrapper);
  }

  auto *setter = llvm::Function::Create(
      llvm::FunctionType::get(voidTy, {ptrTy, ptrTy}, false),
      llvm::GlobalValue::ExternalLinkage, "attnc_model_set_allocator", m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", setter));
  auto *null = llvm::ConstantPointerNull::get(ptrTy);
  for (auto [arg, slot, fallback] :
       {std::tuple(setter->getArg(0), allocSlot, libcMalloc.getCallee()),
        std::tuple(setter->getArg(1), releaseSlot, libcFree.getCallee())}) {
    llvm::Value *isNull = b.CreateICmpEQ(arg, null);
    b.CreateStore(b.CreateSelect(isNull, fallback, arg), slot);
  }
  b.CreateRetVoid();
}

std::unique_ptr<llvm::Module>
attnc::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext,
                         llvm::TargetMachine &tm, const ModelPayload &payload,
                         StringRef weightBlobPath) {
  std::unique_ptr<llvm::Module> m =
      translateModuleToLLVMIR(module, llvmContext, "attnc_model");
  if (!m)
    return nullptr;
  m->setTargetTriple(tm.getTargetTriple());
  m->setDataLayout(tm.createDataLayout());
  if (failed(addPackedEntry(*m))) {
    module.emitError("lowered module has no _mlir_ciface_")
        << kEntryFunctionName;
    return nullptr;
  }

  auto *i32 = llvm::Type::getInt32Ty(llvmContext);
  new llvm::GlobalVariable(*m, i32, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantInt::get(i32, kAbiVersion),
                           "attnc_abi_version");
  std::string metadata = getModelMetadata(payload, tm);
  auto *text = llvm::ConstantDataArray::getString(llvmContext, metadata,
                                                  /*AddNull=*/true);
  new llvm::GlobalVariable(*m, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           "attnc_model_metadata");

  bool openmp = m->getFunction("__kmpc_fork_call") != nullptr;
  if (openmp)
    addSetNumThreads(*m);
  addAllocatorHooks(*m);
  std::string gpuError;
  if (!addGPUHooks(*m, gpuError)) {
    module.emitError(gpuError);
    return nullptr;
  }

  // The generated code uses whole vector registers on purpose (tiles sized
  // by attnc-cpu-tile-and-vectorize): keep x86's 512-bit vectors legal
  // instead of the "prefer 256 bits" tuning splitting them in halves.
  const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  if (tm.getTargetTriple().isX86() && sti->checkFeatures("+avx512f"))
    for (llvm::Function &f : *m)
      if (!f.isDeclaration()) {
        f.addFnAttr("prefer-vector-width", "512");
        f.addFnAttr("min-legal-vector-width", "512");
      }

  // Only the ABI symbols are visible to dlsym; everything else is hidden.
  llvm::StringSet<> exported = {"attnc_abi_version", "attnc_model_metadata",
                                "attnc_model_run",
                                "attnc_model_set_num_threads",
                                "attnc_model_set_allocator",
                                "attnc_model_set_gpu"};
  for (llvm::GlobalValue &gv : m->global_values())
    if (!gv.isDeclaration() && !exported.contains(gv.getName()) &&
        !gv.hasLocalLinkage())
      gv.setVisibility(llvm::GlobalValue::HiddenVisibility);

  if (!weightBlobPath.empty() && !payload.weights.empty())
    m->appendModuleInlineAsm(weightAssembly(payload, weightBlobPath));
  return m;
}

void attnc::optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                           unsigned optLevel) {
  if (optLevel == 0)
    return;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 1   ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

LogicalResult attnc::emitObject(llvm::Module &module, llvm::TargetMachine &tm,
                                llvm::raw_pwrite_stream &os,
                                std::string &error) {
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  pm.run(module);
  return success();
}

/// The folder holding the target's libc for a cross link: $ATTNC_SYSROOT,
/// else Debian's cross-toolchain folder /usr/<multiarch>.
static FailureOr<std::string> findCrossSysroot(StringRef multiarch,
                                               std::string &error) {
  std::string sysroot = "/usr/" + multiarch.str();
  if (const char *env = std::getenv("ATTNC_SYSROOT"))
    sysroot = env;
  for (const char *sub : {"/lib/libc.so", "/usr/lib/libc.so"})
    if (llvm::sys::fs::exists(sysroot + sub))
      return sysroot;
  error = "cannot find the " + multiarch.str() + " C library (no libc.so in " +
          sysroot + "/lib or " + sysroot +
          "/usr/lib): install the cross libc (Debian: libc6-dev-" +
          (multiarch.starts_with("aarch64") ? "arm64" : "<arch>") +
          "-cross) or point ATTNC_SYSROOT at the target's root";
  return failure();
}

LogicalResult attnc::linkSharedObject(StringRef objectPath,
                                      StringRef outputPath,
                                      const TargetOptions &options,
                                      std::string &error, bool openmp) {
  std::string ld = ATTNC_DEFAULT_LD;
  if (const char *env = std::getenv("ATTNC_LD"))
    ld = env;
  if (!llvm::sys::fs::can_execute(ld)) {
    error = "linker '" + ld + "' not found (install lld-22 or set ATTNC_LD)";
    return failure();
  }
  llvm::Triple triple(options.triple.empty() ? llvm::sys::getProcessTriple()
                                             : options.triple);
  std::string multiarch =
      (triple.getArchName() + "-linux-gnu").str(); // Debian multiarch dir
  std::vector<std::string> libDirs = {"/usr/lib/" + multiarch,
                                      "/lib/" + multiarch};
  if (isCrossTarget(options)) {
    FailureOr<std::string> sysroot = findCrossSysroot(multiarch, error);
    if (failed(sysroot))
      return failure();
    libDirs = {*sysroot + "/lib", *sysroot + "/usr/lib"};
  }
  std::vector<std::string> args = {ld,
                                   "-shared",
                                   "--no-undefined",
                                   "-z",
                                   "noexecstack",
                                   "--as-needed",
                                   "-o",
                                   outputPath.str(),
                                   objectPath.str()};
  for (const std::string &dir : libDirs)
    args.push_back("-L" + dir);
  args.insert(args.end(), {"-lm", "-lc"});
  if (openmp) {
    // LLVM's OpenMP runtime; the rpath lets dlopen find it without
    // LD_LIBRARY_PATH (ATTNC_OPENMP_DIR overrides the folder).
    std::string ompDir = ATTNC_OPENMP_DIR;
    if (const char *env = std::getenv("ATTNC_OPENMP_DIR"))
      ompDir = env;
    args.insert(args.end(), {"-L" + ompDir, "-lomp", "-rpath", ompDir});
  }
  std::vector<StringRef> argRefs(args.begin(), args.end());
  std::string errMsg;
  int rc = llvm::sys::ExecuteAndWait(ld, argRefs, std::nullopt, {}, 0, 0,
                                     &errMsg);
  if (rc != 0) {
    error = "linking the shared object failed (" + ld + " exit " +
            std::to_string(rc) + (errMsg.empty() ? "" : ": " + errMsg) + ")";
    return failure();
  }
  return success();
}

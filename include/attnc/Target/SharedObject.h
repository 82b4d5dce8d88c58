//===- SharedObject.h - LLVM dialect to a model .so -------------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The last stage of the compiler: translate the LLVM-dialect module to LLVM
// IR, add the symbols of the model ABI (docs/abi.md), optimize, emit an
// object for the target CPU and link it, together with the weight blob,
// into a shared object with ld.lld.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TARGET_SHAREDOBJECT_H
#define ATTNC_TARGET_SHAREDOBJECT_H

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace llvm {
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace attnc {

struct TargetOptions {
  std::string triple; ///< Empty: the host.
  std::string cpu;    ///< Empty or "native": the host CPU.
  std::string features; ///< Extra `+feat,-feat` (added to the CPU's own).
  unsigned optLevel = 3;
};

/// The targets attnc compiles for (`attnc --target=`), besides "host".
llvm::ArrayRef<llvm::StringRef> getKnownTargets();

/// Maps a `--target`/`--mtriple` value to the triple stored in
/// TargetOptions: "host" and "" give "" (the host), a known target or a
/// triple of the same arch and OS (e.g. aarch64-unknown-linux-gnu) gives
/// the normalized triple. Anything else fails with a message listing the
/// known targets.
mlir::FailureOr<std::string> resolveTargetTriple(llvm::StringRef name,
                                                 std::string &error);

/// True when `options` targets a different architecture than the running
/// process (the code cannot run here; no OpenMP runtime for it is linked).
bool isCrossTarget(const TargetOptions &options);

/// Creates the LLVM TargetMachine for `options` (PIC, for shared objects).
/// Fails for an unknown triple or a CPU name the target does not know.
mlir::FailureOr<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetOptions &options, std::string &error);

/// The weights and metadata taken out of a lowered module.
/// One externalized weight. `bytes` views the data of its resource blob,
/// which the MLIRContext owns (so the context must outlive the payload),
/// or `storage` for small dense constants: big weights are never copied
/// between the import and the blob file.
struct ModelWeight {
  std::string name;
  llvm::ArrayRef<char> bytes;
  std::vector<char> storage; // moving it keeps `bytes` valid
  uint64_t size = 0;         // bytes.size(), kept by releaseWeightData
  mlir::AsmResourceBlob *blob = nullptr; // the blob `bytes` views, if any
};

struct ModelPayload {
  std::string metadata;
  /// Every externalized weight, in blob order.
  std::vector<ModelWeight> weights;
};

/// Removes the `attnc.metadata`/`attnc.weights` module attributes from
/// `module` and returns their contents.
mlir::FailureOr<ModelPayload> extractPayload(mlir::ModuleOp module);

/// The metadata text the .so carries (`attnc_model_metadata`): the
/// payload's input/output lines plus the compiler version and target.
std::string getModelMetadata(const ModelPayload &payload,
                             const llvm::TargetMachine &tm);
/// Frees the weights' data once the blob file is written (the resource
/// blobs included, so the module must not read them afterwards): the
/// object file's `.incbin` then holds the only copy. Sizes stay.
void releaseWeightData(ModelPayload &payload);

/// Translates an LLVM-dialect module to LLVM IR and adds the ABI symbols
/// (`attnc_abi_version`, `attnc_model_metadata`, `attnc_model_run`, and
/// `attnc_model_set_num_threads` when the code uses OpenMP).
/// When `weightBlobPath` is set, the module also defines the weight symbols
/// from that file (written by writeWeightBlob) through `.incbin`.
std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                  llvm::TargetMachine &tm, const ModelPayload &payload,
                  llvm::StringRef weightBlobPath);

/// Writes all weights back to back (64-byte aligned) into `path`, calling
/// `onWrite` with the weight bytes written so far after each weight.
mlir::LogicalResult
writeWeightBlob(const ModelPayload &payload, llvm::StringRef path,
                std::string &error,
                llvm::function_ref<void(uint64_t)> onWrite = nullptr);

/// Runs the LLVM optimization pipeline at `tm`'s level.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                    unsigned optLevel);

/// Emits an object file for `module`.
mlir::LogicalResult emitObject(llvm::Module &module, llvm::TargetMachine &tm,
                               llvm::raw_pwrite_stream &os,
                               std::string &error);

/// Links `objectPath` into the shared object `outputPath` with ld.lld.
/// With `openmp`, also links LLVM's libomp (with an rpath to its folder).
/// For a cross target, libc/libm come from the target's sysroot:
/// $ATTNC_SYSROOT, else Debian's cross folder /usr/<arch>-linux-gnu
/// (libc6-dev-arm64-cross for aarch64).
mlir::LogicalResult linkSharedObject(llvm::StringRef objectPath,
                                     llvm::StringRef outputPath,
                                     const TargetOptions &options,
                                     std::string &error, bool openmp = false);

} // namespace attnc

#endif // ATTNC_TARGET_SHAREDOBJECT_H

//===- Progress.h - Stage progress and timing of the driver -----*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Compiling a 100M+ parameter model takes minutes, so attnc reports its
// stages (import, fuse, lower, codegen, link) on stderr (`--progress`, on by
// default when stderr is a terminal) and times them, with every MLIR pass
// nested inside its stage, for `--time-passes`:
//
//   attnc: [1/5] import: model.onnx (623.0 MiB)
//   attnc: [1/5] import: done in 14.2 s
//   attnc: [4/5] codegen: weights: 148 tensors, 622.9 MiB written
//
// On a terminal the weight bytes written so far are updated in place.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_PROGRESS_H
#define ATTNC_DRIVER_PROGRESS_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <optional>

namespace attnc {

/// "512 B", "3.5 KiB", "622.9 MiB", "1.4 GiB".
std::string formatByteSize(uint64_t bytes);

class StageReporter {
public:
  /// `os` receives the progress lines (nullptr: none); with `interactive`
  /// (a terminal), byte counts are updated in place. Stage timers nest in
  /// `timing` (a disabled scope when --time-passes is off).
  StageReporter(llvm::raw_ostream *os, bool interactive,
                mlir::TimingScope &timing, unsigned numStages);

  /// Starts stage `name` (ending the previous one) and prints `detail`.
  void beginStage(llvm::StringRef name, const llvm::Twine &detail);
  /// Ends the current stage: prints its wall time.
  void endStage();
  /// A progress line inside the current stage.
  void note(const llvm::Twine &message);
  /// A timer for a step of the current stage (--time-passes).
  mlir::TimingScope nestTimer(llvm::StringRef name);
  /// Times the passes of `pm` inside the current stage.
  void timePasses(mlir::PassManager &pm);

  /// On a terminal, `what: <done> of <total>` rewritten in place (at most
  /// once per percent); call with done == total last, which erases it.
  void bytes(llvm::StringRef what, uint64_t done, uint64_t total);

private:
  llvm::raw_ostream *os;
  bool interactive;
  mlir::TimingScope &root;
  unsigned numStages;
  unsigned stageIndex = 0;
  std::string stageName;
  std::optional<mlir::TimingScope> stageTimer;
  std::chrono::steady_clock::time_point stageStart;
  /// Last in-place update (percent), so that a terminal gets <= 100 writes.
  int lastPercent = -1;
};

} // namespace attnc

#endif // ATTNC_DRIVER_PROGRESS_H

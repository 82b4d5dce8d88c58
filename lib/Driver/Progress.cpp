//===- Progress.cpp - Stage progress and timing of the driver -------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Driver/Progress.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace attnc;

std::string attnc::formatByteSize(uint64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = bytes / 1024.0;
  unsigned unit = 0;
  for (; value >= 1024 && unit + 1 < std::size(units); ++unit)
    value /= 1024;
  return llvm::formatv("{0:F1} {1}", value, units[unit]).str();
}

StageReporter::StageReporter(raw_ostream *os, bool interactive,
                             TimingScope &timing, unsigned numStages)
    : os(os), interactive(interactive), root(timing), numStages(numStages) {}

void StageReporter::beginStage(StringRef name, const Twine &detail) {
  endStage();
  ++stageIndex;
  stageName = name.str();
  stageTimer.emplace(root.nest(stageName));
  stageStart = std::chrono::steady_clock::now();
  note(detail);
}

void StageReporter::endStage() {
  if (!stageTimer)
    return;
  stageTimer.reset();
  std::chrono::duration<double> seconds =
      std::chrono::steady_clock::now() - stageStart;
  note(llvm::formatv("done in {0:F2} s", seconds.count()));
}

void StageReporter::note(const Twine &message) {
  if (!os)
    return;
  *os << "attnc: [" << stageIndex << "/" << numStages << "] " << stageName
      << ": " << message << "\n";
  os->flush();
}

TimingScope StageReporter::nestTimer(StringRef name) {
  return stageTimer ? stageTimer->nest(name) : root.nest(name);
}

void StageReporter::timePasses(PassManager &pm) {
  if (stageTimer && *stageTimer)
    pm.enableTiming(*stageTimer);
}

void StageReporter::bytes(StringRef what, uint64_t done, uint64_t total) {
  if (!os || !interactive)
    return;
  if (done >= total) {
    // Erase the in-place line; the caller prints the summary.
    if (lastPercent >= 0)
      *os << "\r\x1b[K";
    lastPercent = -1;
    os->flush();
    return;
  }
  int percent = total ? static_cast<int>(100 * done / total) : 100;
  if (percent == lastPercent)
    return;
  lastPercent = percent;
  *os << "\r\x1b[K"
      << "attnc: [" << stageIndex << "/" << numStages << "] " << stageName
      << ": " << what << ": " << formatByteSize(done) << " of "
      << formatByteSize(total);
  os->flush();
}

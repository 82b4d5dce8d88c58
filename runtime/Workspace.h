//===- Workspace.h - Per-session cache of model buffers ---------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Compiled models allocate their intermediate buffers with malloc/free
// through hooks the runtime installs (attnc_model_set_allocator, see
// docs/abi.md). While a session runs, those calls go to the session's
// Workspace, which keeps freed blocks for the next run: in the steady
// state a run allocates nothing from the OS and touches no fresh pages.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_WORKSPACE_H
#define ATTNC_RUNTIME_WORKSPACE_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_set>

namespace attnc::rt {

struct BlockHeader;

class Workspace {
public:
  Workspace() = default;
  Workspace(const Workspace &) = delete;
  Workspace &operator=(const Workspace &) = delete;
  ~Workspace();

  /// Marks the start and end of a run: blocks that stayed unused for a
  /// whole run are returned to the system at its end, so the cache follows
  /// the working set when shapes change (e.g. a growing KV cache).
  void beginRun();
  void endRun();
  /// Returns every cached (free) block to the system.
  void release();

  uint64_t peakBytes() const { return peak; }
  uint64_t lastRunPeakBytes() const { return lastRunPeak; }
  uint64_t cachedBytes() const { return cached; }

  void *allocate(size_t size);
  void deallocate(BlockHeader *block);

private:
  std::mutex mutex;
  std::multimap<size_t, BlockHeader *> freeBlocks; // by capacity
  std::unordered_set<BlockHeader *> owned;         // free and in use
  uint64_t run = 0;
  uint64_t inUse = 0, peak = 0, runPeak = 0, lastRunPeak = 0, cached = 0;
};

/// The hooks handed to attnc_model_set_allocator. They use the workspace
/// of the session running on the calling thread (see WorkspaceScope) and
/// fall back to the system allocator elsewhere (e.g. on worker threads).
void *workspaceMalloc(size_t size);
void workspaceFree(void *ptr);

/// Makes `ws` the calling thread's workspace for the scope of a run.
class WorkspaceScope {
public:
  explicit WorkspaceScope(Workspace *ws);
  ~WorkspaceScope();

private:
  Workspace *previous;
};

} // namespace attnc::rt

#endif // ATTNC_RUNTIME_WORKSPACE_H

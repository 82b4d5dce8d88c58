//===- Workspace.cpp - Per-session cache of model buffers -----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "Workspace.h"

#include <cstdlib>
#include <new>

using namespace attnc::rt;

namespace attnc::rt {

/// Precedes every block the hooks hand out; 64 bytes keep the payload
/// cache-line aligned (the generated code aligns its buffers itself, but
/// malloc's 16-byte guarantee must hold).
struct alignas(64) BlockHeader {
  uint64_t magic;
  Workspace *owner; // nullptr: a plain system block
  size_t capacity;  // payload bytes
  uint64_t lastRun; // the run that last handed it out
};

} // namespace attnc::rt

namespace {
constexpr uint64_t kMagic = 0x61747463424c4b31ull; // "attcBLK1"
constexpr size_t kHeader = sizeof(BlockHeader);
static_assert(kHeader == 64, "header must keep 64-byte alignment");

thread_local Workspace *currentWorkspace = nullptr;

/// Rounds a request up to one of four size classes per power of two (for
/// blocks over 64 KiB), so that slowly growing shapes reuse their blocks.
size_t sizeClass(size_t size) {
  size_t rounded = (size + 63) & ~size_t(63);
  if (rounded <= (size_t(64) << 10))
    return rounded;
  size_t pow2 = size_t(1) << (63 - __builtin_clzll(rounded));
  size_t step = pow2 / 4;
  return (rounded + step - 1) / step * step;
}

BlockHeader *systemBlock(size_t capacity, Workspace *owner) {
  void *raw = std::aligned_alloc(64, kHeader + capacity);
  if (!raw)
    return nullptr;
  auto *block = static_cast<BlockHeader *>(raw);
  block->magic = kMagic;
  block->owner = owner;
  block->capacity = capacity;
  block->lastRun = 0;
  return block;
}

void *payload(BlockHeader *block) {
  return reinterpret_cast<char *>(block) + kHeader;
}
} // namespace

Workspace::~Workspace() {
  for (BlockHeader *block : owned) {
    // A block still in use (a model that leaked it) becomes a plain system
    // block so that a late free does not reach this dead workspace.
    block->owner = nullptr;
  }
  for (auto &entry : freeBlocks)
    std::free(entry.second);
}

void Workspace::beginRun() {
  std::lock_guard<std::mutex> lock(mutex);
  ++run;
  runPeak = inUse;
}

void Workspace::endRun() {
  std::lock_guard<std::mutex> lock(mutex);
  lastRunPeak = runPeak;
  for (auto it = freeBlocks.begin(); it != freeBlocks.end();) {
    BlockHeader *block = it->second;
    if (block->lastRun != run) {
      cached -= block->capacity;
      owned.erase(block);
      std::free(block);
      it = freeBlocks.erase(it);
    } else {
      ++it;
    }
  }
}

void Workspace::release() {
  std::lock_guard<std::mutex> lock(mutex);
  for (auto &entry : freeBlocks) {
    cached -= entry.second->capacity;
    owned.erase(entry.second);
    std::free(entry.second);
  }
  freeBlocks.clear();
}

void *Workspace::allocate(size_t size) {
  size_t capacity = sizeClass(size == 0 ? 1 : size);
  std::lock_guard<std::mutex> lock(mutex);
  BlockHeader *block = nullptr;
  auto it = freeBlocks.lower_bound(capacity);
  // Reuse a cached block unless it would waste more than half of it.
  if (it != freeBlocks.end() && it->first / 2 <= capacity) {
    block = it->second;
    freeBlocks.erase(it);
  } else {
    block = systemBlock(capacity, this);
    if (!block)
      return nullptr;
    owned.insert(block);
    cached += capacity;
  }
  block->lastRun = run;
  inUse += block->capacity;
  peak = std::max(peak, inUse);
  runPeak = std::max(runPeak, inUse);
  return payload(block);
}

void Workspace::deallocate(BlockHeader *block) {
  std::lock_guard<std::mutex> lock(mutex);
  inUse -= block->capacity;
  freeBlocks.emplace(block->capacity, block);
}

void *attnc::rt::workspaceMalloc(size_t size) {
  if (Workspace *ws = currentWorkspace)
    return ws->allocate(size);
  BlockHeader *block = systemBlock(sizeClass(size == 0 ? 1 : size), nullptr);
  return block ? payload(block) : nullptr;
}

void attnc::rt::workspaceFree(void *ptr) {
  if (!ptr)
    return;
  auto *block = reinterpret_cast<BlockHeader *>(static_cast<char *>(ptr) -
                                                kHeader);
  if (block->magic != kMagic)
    return; // not ours: never free what we did not allocate
  if (block->owner)
    block->owner->deallocate(block);
  else
    std::free(block);
}

WorkspaceScope::WorkspaceScope(Workspace *ws) : previous(currentWorkspace) {
  currentWorkspace = ws;
  if (ws)
    ws->beginRun();
}

WorkspaceScope::~WorkspaceScope() {
  if (currentWorkspace)
    currentWorkspace->endRun();
  currentWorkspace = previous;
}

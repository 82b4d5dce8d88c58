//===- Model.cpp - Loading compiled models
//---------------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Internal.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace attnc::rt;

namespace {
const char *dlErrorOr(const char *fallback) {
  const char *e = dlerror();
  return e ? e : fallback;
}

struct DlCloser {
  void *handle;
  ~DlCloser() {
    if (handle)
      dlclose(handle);
  }
};
/// dlopen maps a truncated shared object without complaint and the process
/// dies of SIGBUS when it touches the missing pages, so check that every
/// table and segment of a 64-bit ELF file lies inside the file. Other files
/// are left to dlopen, which refuses them with a message.
bool checkElfExtents(const char *path, uint64_t fileSize, std::string &error) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return true; // dlopen reports it
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};
  auto readAt = [&](void *buf, size_t n, uint64_t off) {
    return off <= fileSize && n <= fileSize - off &&
           pread(fd, buf, n, static_cast<off_t>(off)) == ssize_t(n);
  };
  auto inside = [&](uint64_t off, uint64_t count, uint64_t size) {
    return off <= fileSize && (size == 0 || count <= (fileSize - off) / size);
  };
  Elf64_Ehdr eh;
  if (!readAt(&eh, sizeof eh, 0) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
      eh.e_ident[EI_CLASS] != ELFCLASS64)
    return true;
  if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
      !inside(eh.e_phoff, eh.e_phnum, sizeof(Elf64_Phdr)) ||
      (eh.e_shoff && !inside(eh.e_shoff, eh.e_shnum, eh.e_shentsize))) {
    error = "its ELF header or section table lies past the end of the file "
            "(truncated?)";
    return false;
  }
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!readAt(&ph, sizeof ph, eh.e_phoff + uint64_t(i) * sizeof ph) ||
        (ph.p_type != PT_NULL && !inside(ph.p_offset, ph.p_filesz, 1))) {
      error = "segment " + std::to_string(i) +
              " lies past the end of the file (truncated?)";
      return false;
    }
  }
  return true;
}
} // namespace

void attncModelRelease(attnc_model *model) {
  if (model->refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  destroyGPUModel(model->gpu);
  if (model->handle)
    dlclose(model->handle);
  delete model;
}

extern "C" ATTNC_API attnc_status attnc_model_load(const char *path,
                                                   attnc_model **out) {
  static const char *fn = "attnc_model_load";
  return guarded(fn, [&]() -> attnc_status {
    if (!path || !out)
      return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": path or out is NULL");
    std::string file(path);
    if (file.empty())
      return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": empty path");
    // Classify file problems ourselves: dlerror() only gives free text.
    struct stat st;
    if (stat(path, &st) != 0) {
      int err = errno;
      return fail(err == ENOENT || err == ENOTDIR ? ATTNC_STATUS_NOT_FOUND
                                                  : ATTNC_STATUS_IO,
                  "cannot open model '" + file + "': " + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode))
      return fail(ATTNC_STATUS_IO,
                  "cannot open model '" + file + "': not a regular file");
    if (access(path, R_OK) != 0) {
      int err = errno;
      return fail(ATTNC_STATUS_IO,
                  "cannot open model '" + file + "': " + std::strerror(err));
    }
    std::string elfError;
    if (!checkElfExtents(path, static_cast<uint64_t>(st.st_size), elfError))
      return fail(ATTNC_STATUS_INCOMPATIBLE,
                  "cannot load model '" + file + "': " + elfError);
    // Without a '/', dlopen would search LD_LIBRARY_PATH and the system
    // directories instead of the file the caller named.
    std::string dlPath =
        file.find('/') == std::string::npos ? "./" + file : file;

    // RTLD_LOCAL keeps the model's symbols (every model exports the same
    // three names) from satisfying lookups in other models; RTLD_NOW reports
    // unresolved symbols here instead of at the first run.
    dlerror();
    void *handle = dlopen(dlPath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      return fail(ATTNC_STATUS_INCOMPATIBLE,
                  "cannot load model '" + file +
                      "': " + dlErrorOr("dlopen failed"));
    DlCloser closer{handle};

    auto *version =
        static_cast<const uint32_t *>(dlsym(handle, "attnc_abi_version"));
    if (!version)
      return fail(ATTNC_STATUS_INCOMPATIBLE,
                  "'" + file +
                      "' is not an attnc model (no attnc_abi_version "
                      "symbol)");
    if (*version != ATTNC_ABI_VERSION)
      return fail(ATTNC_STATUS_INCOMPATIBLE,
                  "'" + file + "' has attnc ABI version " +
                      std::to_string(*version) + ", this runtime supports " +
                      std::to_string(ATTNC_ABI_VERSION));
    auto *text =
        static_cast<const char *>(dlsym(handle, "attnc_model_metadata"));
    if (!text)
      return fail(ATTNC_STATUS_INCOMPATIBLE,
                  "'" + file + "' has no attnc_model_metadata symbol");
    void *run = dlsym(handle, "attnc_model_run");
    if (!run)
      return fail(ATTNC_STATUS_INCOMPATIBLE,
                  "'" + file + "' has no attnc_model_run symbol");

    auto model = std::make_unique<attnc_model>();
    std::string error;
    // Parse in place: attnc_tensor_info hands out pointers into the parsed
    // strings, so the metadata must not move afterwards.
    if (!parseMetadata(text, model->metadata, error))
      return fail(ATTNC_STATUS_INCOMPATIBLE,
                  "bad metadata in '" + file + "': " + error);
    model->run = reinterpret_cast<attnc_model_run_fn>(run);
    model->setNumThreads = reinterpret_cast<attnc_model_set_num_threads_fn>(
        dlsym(handle, "attnc_model_set_num_threads"));
    // Optional (docs/abi.md): route the model's buffers through the
    // sessions' workspaces. Models built before the hook existed use libc.
    if (auto setAllocator = reinterpret_cast<attnc_model_set_allocator_fn>(
            dlsym(handle, "attnc_model_set_allocator")))
      setAllocator(workspaceMalloc, workspaceFree);
    if (model->metadata.device == "cuda") {
      using SetGPU = void (*)(const void *const *, void *);
      attnc_status status = createGPUModel(
          reinterpret_cast<SetGPU>(dlsym(handle, "attnc_model_set_gpu")),
          file, model->gpu, error);
      if (status != ATTNC_STATUS_OK)
        return fail(status, error);
    } else if (!model->metadata.device.empty()) {
      return fail(ATTNC_STATUS_INCOMPATIBLE,
                  "'" + file + "' runs on an unknown device '" +
                      model->metadata.device + "'");
    }
    model->path = file;
    model->handle = handle;
    closer.handle = nullptr;
    *out = model.release();
    return ATTNC_STATUS_OK;
  });
}

extern "C" ATTNC_API void attnc_model_destroy(attnc_model *model) {
  if (model)
    attncModelRelease(model);
}

namespace {
attnc_status checkModel(const char *fn, const attnc_model *model,
                        const void *out) {
  if (!model)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": model is NULL");
  if (!out)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": out is NULL");
  return ATTNC_STATUS_OK;
}

attnc_status info(const char *fn, const attnc_model *model,
                  const std::vector<TensorDesc> &list, const char *what,
                  size_t index, attnc_tensor_info *out) {
  if (index >= list.size())
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": " + what + " index " +
                    std::to_string(index) + " out of range (model has " +
                    std::to_string(list.size()) + ")");
  const TensorDesc &d = list[index];
  out->name = d.name.c_str();
  out->dtype = d.dtype;
  out->rank = d.dims.size();
  out->dims = d.dims.data();
  out->dim_symbols = d.symbolPtrs.data();
  (void)model;
  return ATTNC_STATUS_OK;
}

attnc_status find(const char *fn, const std::vector<TensorDesc> &list,
                  const char *what, const char *name, size_t *index) {
  if (!name)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": name is NULL");
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].name == name) {
      *index = i;
      return ATTNC_STATUS_OK;
    }
  }
  std::string known;
  for (const TensorDesc &d : list)
    known += (known.empty() ? "" : ", ") + d.name;
  return fail(ATTNC_STATUS_NOT_FOUND, std::string("model has no ") + what +
                                          " named '" + name + "' (" + what +
                                          "s: " + known + ")");
}
} // namespace

extern "C" ATTNC_API attnc_status
attnc_model_num_inputs(const attnc_model *model, size_t *out) {
  if (attnc_status s = checkModel("attnc_model_num_inputs", model, out))
    return s;
  *out = model->metadata.inputs.size();
  return ATTNC_STATUS_OK;
}

extern "C" ATTNC_API attnc_status
attnc_model_num_outputs(const attnc_model *model, size_t *out) {
  if (attnc_status s = checkModel("attnc_model_num_outputs", model, out))
    return s;
  *out = model->metadata.outputs.size();
  return ATTNC_STATUS_OK;
}

extern "C" ATTNC_API attnc_status attnc_model_input_info(
    const attnc_model *model, size_t index, attnc_tensor_info *out) {
  static const char *fn = "attnc_model_input_info";
  if (attnc_status s = checkModel(fn, model, out))
    return s;
  return info(fn, model, model->metadata.inputs, "input", index, out);
}

extern "C" ATTNC_API attnc_status attnc_model_output_info(
    const attnc_model *model, size_t index, attnc_tensor_info *out) {
  static const char *fn = "attnc_model_output_info";
  if (attnc_status s = checkModel(fn, model, out))
    return s;
  return info(fn, model, model->metadata.outputs, "output", index, out);
}

extern "C" ATTNC_API attnc_status attnc_model_find_input(
    const attnc_model *model, const char *name, size_t *index) {
  static const char *fn = "attnc_model_find_input";
  if (attnc_status s = checkModel(fn, model, index))
    return s;
  return guarded(fn, [&] {
    return find(fn, model->metadata.inputs, "input", name, index);
  });
}

extern "C" ATTNC_API attnc_status attnc_model_find_output(
    const attnc_model *model, const char *name, size_t *index) {
  static const char *fn = "attnc_model_find_output";
  if (attnc_status s = checkModel(fn, model, index))
    return s;
  return guarded(fn, [&] {
    return find(fn, model->metadata.outputs, "output", name, index);
  });
}

extern "C" ATTNC_API attnc_status
attnc_model_compiler_version(const attnc_model *model, const char **out) {
  if (attnc_status s = checkModel("attnc_model_compiler_version", model, out))
    return s;
  *out = model->metadata.compiler.c_str();
  return ATTNC_STATUS_OK;
}

extern "C" ATTNC_API attnc_status attnc_model_target(const attnc_model *model,
                                                     const char **out) {
  if (attnc_status s = checkModel("attnc_model_target", model, out))
    return s;
  *out = model->metadata.target.c_str();
  return ATTNC_STATUS_OK;
}

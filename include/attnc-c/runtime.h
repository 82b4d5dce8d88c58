/*===-- attnc-c/runtime.h - attnc runtime C API -------------------*- C -*-===*\
|*                                                                            *|
|* Part of the attnc project.                                                 *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The C API of libattnc_runtime: load a model.so written by the attnc        *|
|* compiler (see docs/abi.md), describe its signature, and run it on host     *|
|* tensors. See docs/c-api.md for the reference and examples.                 *|
|*                                                                            *|
|* Conventions:                                                               *|
|*  - every function that can fail returns an attnc_status; results come      *|
|*    back through out-parameters that are only written on success (except   *|
|*    where documented);                                                      *|
|*  - on failure attnc_last_error() returns a message for this thread;        *|
|*  - handles are opaque; every _create/_load has a _destroy, and _destroy    *|
|*    accepts NULL;                                                           *|
|*  - nothing in this API aborts or throws.                                   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTNC_C_RUNTIME_H
#define ATTNC_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define ATTNC_API __declspec(dllexport)
#else
#define ATTNC_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The model ABI version this runtime understands (docs/abi.md). */
#define ATTNC_ABI_VERSION 1u

/* The largest tensor rank the runtime accepts, in metadata and in tensors.
 * Bounding it keeps a hostile metadata string from making the runtime
 * allocate descriptors of arbitrary size. */
#define ATTNC_MAX_RANK 32

/*===----------------------------------------------------------------------===*
 * Status codes and errors
 *===----------------------------------------------------------------------===*/

typedef enum attnc_status {
  ATTNC_STATUS_OK = 0,
  ATTNC_STATUS_INVALID_ARGUMENT = 1, /* NULL handle/pointer, bad index, ... */
  ATTNC_STATUS_NOT_FOUND = 2,        /* model file or input name missing */
  ATTNC_STATUS_IO = 3,               /* file exists but cannot be read */
  ATTNC_STATUS_INCOMPATIBLE = 4,     /* not an attnc model, wrong ABI, bad
                                        metadata */
  ATTNC_STATUS_SHAPE_MISMATCH = 5,   /* rank or dims do not fit the model */
  ATTNC_STATUS_DTYPE_MISMATCH = 6,   /* element type does not fit the model */
  ATTNC_STATUS_OUT_OF_MEMORY = 7,
  ATTNC_STATUS_MODEL_ERROR = 8, /* attnc_model_run returned non-zero */
  ATTNC_STATUS_INTERNAL = 9,
  ATTNC_STATUS_NO_DEVICE = 10,    /* a GPU model, but no usable GPU/driver */
  ATTNC_STATUS_DEVICE_ERROR = 11  /* the GPU failed during a run */
} attnc_status;

/* A short constant description ("invalid argument", ...); never NULL. */
ATTNC_API const char *attnc_status_string(attnc_status status);

/* The message of the last failing call on this thread ("" if none). It names
 * what was wrong (input name, dim index, symbol, expected vs. got). The
 * pointer stays valid until the next failing call on this thread. */
ATTNC_API const char *attnc_last_error(void);

/* The runtime's version string, e.g. "0.1.0". */
ATTNC_API const char *attnc_runtime_version(void);

/*===----------------------------------------------------------------------===*
 * Element types
 *===----------------------------------------------------------------------===*/

/* The values are ONNX's TensorProto.DataType numbers so that tools can map
 * between the two without a table. */
typedef enum attnc_dtype {
  ATTNC_DTYPE_INVALID = 0,
  ATTNC_DTYPE_F32 = 1,
  ATTNC_DTYPE_U8 = 2,
  ATTNC_DTYPE_I8 = 3,
  ATTNC_DTYPE_U16 = 4,
  ATTNC_DTYPE_I16 = 5,
  ATTNC_DTYPE_I32 = 6,
  ATTNC_DTYPE_I64 = 7,
  ATTNC_DTYPE_BOOL = 9, /* one byte per element, 0 or 1 */
  ATTNC_DTYPE_F16 = 10,
  ATTNC_DTYPE_F64 = 11,
  ATTNC_DTYPE_U32 = 12,
  ATTNC_DTYPE_U64 = 13,
  ATTNC_DTYPE_BF16 = 16
} attnc_dtype;

/* Bytes per element, or 0 for a value that is not a supported dtype. */
ATTNC_API size_t attnc_dtype_size(attnc_dtype dtype);

/* The metadata spelling ("f32", "bool", ...), or NULL if unsupported. */
ATTNC_API const char *attnc_dtype_name(attnc_dtype dtype);

/*===----------------------------------------------------------------------===*
 * Models
 *===----------------------------------------------------------------------===*/

/* A loaded model.so. Immutable after loading: every query below may be called
 * from any number of threads at once. */
typedef struct attnc_model attnc_model;

/* Describes one input or output. All pointers are owned by the model and stay
 * valid until the model is destroyed. */
typedef struct attnc_tensor_info {
  const char *name; /* decoded (no percent escapes) */
  attnc_dtype dtype;
  size_t rank;
  const int64_t *dims;            /* rank entries; -1 for a dynamic dim */
  const char *const *dim_symbols; /* rank entries; symbol name for a dynamic
                                     dim, NULL for a static one */
} attnc_tensor_info;

/* Loads `path` with dlopen(RTLD_NOW | RTLD_LOCAL), checks attnc_abi_version
 * and parses the metadata. A path without '/' names a file in the current
 * directory (it is never looked up in the library search path).
 * Errors: NOT_FOUND (no such file), IO (unreadable), INCOMPATIBLE (not a
 * shared object, not an attnc model, wrong ABI version, bad metadata). */
ATTNC_API attnc_status attnc_model_load(const char *path, attnc_model **out);

/* Releases the caller's reference. Sessions created from the model keep it
 * loaded until they are destroyed, but the handle itself must not be used
 * after this call. NULL is ignored. */
ATTNC_API void attnc_model_destroy(attnc_model *model);

ATTNC_API attnc_status attnc_model_num_inputs(const attnc_model *model,
                                              size_t *out);
ATTNC_API attnc_status attnc_model_num_outputs(const attnc_model *model,
                                               size_t *out);
ATTNC_API attnc_status attnc_model_input_info(const attnc_model *model,
                                              size_t index,
                                              attnc_tensor_info *out);
ATTNC_API attnc_status attnc_model_output_info(const attnc_model *model,
                                               size_t index,
                                               attnc_tensor_info *out);
/* NOT_FOUND if no input has that (decoded) name. */
ATTNC_API attnc_status attnc_model_find_input(const attnc_model *model,
                                              const char *name, size_t *index);
ATTNC_API attnc_status attnc_model_find_output(const attnc_model *model,
                                               const char *name, size_t *index);
/* The `compiler` and `target` metadata lines ("" when absent). */
ATTNC_API attnc_status attnc_model_compiler_version(const attnc_model *model,
                                                    const char **out);
ATTNC_API attnc_status attnc_model_target(const attnc_model *model,
                                          const char **out);

/*===----------------------------------------------------------------------===*
 * Tensors
 *===----------------------------------------------------------------------===*/

/* A dense row-major host tensor. Not synchronized: do not mutate one tensor
 * from several threads at once. */
typedef struct attnc_tensor attnc_tensor;

/* A zero-filled tensor with 64-byte aligned storage owned by the tensor.
 * `dims` may be NULL when rank is 0. Errors: INVALID_ARGUMENT (bad dtype,
 * negative dim, rank > ATTNC_MAX_RANK, element count or byte size overflow),
 * OUT_OF_MEMORY. */
ATTNC_API attnc_status attnc_tensor_create(attnc_dtype dtype, size_t rank,
                                           const int64_t *dims,
                                           attnc_tensor **out);

/* Like attnc_tensor_create, then copies `bytes` bytes from `data`; `bytes`
 * must equal the tensor's byte size. */
ATTNC_API attnc_status attnc_tensor_create_copy(attnc_dtype dtype, size_t rank,
                                                const int64_t *dims,
                                                const void *data, size_t bytes,
                                                attnc_tensor **out);

/* A tensor viewing caller-owned memory (no copy). `bytes` must be at least the
 * tensor's byte size and `data` aligned to the element size. The caller keeps
 * ownership and must keep `data` alive until the tensor is destroyed. */
ATTNC_API attnc_status attnc_tensor_wrap(attnc_dtype dtype, size_t rank,
                                         const int64_t *dims, void *data,
                                         size_t bytes, attnc_tensor **out);

/* Frees owned storage (not wrapped memory). NULL is ignored. */
ATTNC_API void attnc_tensor_destroy(attnc_tensor *tensor);

ATTNC_API attnc_status attnc_tensor_data(const attnc_tensor *tensor,
                                         void **out);
ATTNC_API attnc_status attnc_tensor_dtype(const attnc_tensor *tensor,
                                          attnc_dtype *out);
ATTNC_API attnc_status attnc_tensor_rank(const attnc_tensor *tensor,
                                         size_t *out);
/* `*out` points at `rank` entries owned by the tensor (NULL-safe to read
 * nothing when rank is 0). */
ATTNC_API attnc_status attnc_tensor_dims(const attnc_tensor *tensor,
                                         const int64_t **out);
ATTNC_API attnc_status attnc_tensor_num_elements(const attnc_tensor *tensor,
                                                 size_t *out);
ATTNC_API attnc_status attnc_tensor_byte_size(const attnc_tensor *tensor,
                                              size_t *out);

/*===----------------------------------------------------------------------===*
 * Sessions
 *===----------------------------------------------------------------------===*/

/* Per-run state (argument descriptors, symbol bindings). A session must only
 * be used by one thread at a time; create one session per thread. */
typedef struct attnc_session attnc_session;

typedef struct attnc_session_options {
  /* sizeof(attnc_session_options) as the caller was compiled; lets later
   * versions append fields without breaking old callers. */
  size_t struct_size;
  /* Threads a run may use (the calling thread included); 0 = the default
   * (OMP_NUM_THREADS or all cores). Models without parallel code (no
   * attnc_model_set_num_threads symbol, docs/abi.md) run on the calling
   * thread only. */
  int32_t num_threads;
  uint32_t reserved; /* must be 0 */
} attnc_session_options;

/* Sets struct_size and the defaults. */
ATTNC_API attnc_status attnc_session_options_init(attnc_session_options *opts);

/* `options` may be NULL for the defaults. The session holds a reference to
 * the model, so the model stays loaded while the session exists. */
ATTNC_API attnc_status
attnc_session_create(attnc_model *model, const attnc_session_options *options,
                     attnc_session **out);

ATTNC_API void attnc_session_destroy(attnc_session *session);

/* Runs the model once. `inputs` holds one tensor per model input in metadata
 * order. On success outputs[i] receives a newly allocated tensor for model
 * output i, which the caller destroys; on failure every outputs[i] is NULL.
 * Errors: INVALID_ARGUMENT (NULLs, wrong counts, session used concurrently),
 * DTYPE_MISMATCH, SHAPE_MISMATCH (rank, static dim, or a symbol bound to two
 * values), OUT_OF_MEMORY, MODEL_ERROR. */
ATTNC_API attnc_status attnc_session_run(attnc_session *session,
                                         const attnc_tensor *const *inputs,
                                         size_t num_inputs,
                                         attnc_tensor **outputs,
                                         size_t num_outputs);

/*===----------------------------------------------------------------------===*
 * Session memory
 *===----------------------------------------------------------------------===*/

/* A model's intermediate buffers come from its session's workspace, which
 * keeps them between runs: after the first run with given dims a run
 * allocates nothing (blocks unused for a whole run are returned at its
 * end, so the cache follows shape changes). Output tensors are not part
 * of it. */
typedef struct attnc_memory_stats {
  /* sizeof(attnc_memory_stats) as the caller was compiled; set it before
   * the call. */
  size_t struct_size;
  /* Largest sum of live intermediate buffers over all runs so far, and in
   * the last run (bytes, rounded up to the workspace's size classes). */
  uint64_t peak_bytes;
  uint64_t last_run_peak_bytes;
  /* Bytes the workspace holds now (free blocks kept for the next run). */
  uint64_t cached_bytes;
} attnc_memory_stats;

/* Errors: INVALID_ARGUMENT (NULLs, struct_size too small, session running
 * on another thread). */
ATTNC_API attnc_status attnc_session_memory_stats(
    const attnc_session *session, attnc_memory_stats *out);

/* Returns the workspace's cached blocks to the system (e.g. before a long
 * idle period); the next run allocates them again. */
ATTNC_API attnc_status attnc_session_release_memory(attnc_session *session);

/*===----------------------------------------------------------------------===*
 * Text generation (decoder-only language models)
 *===----------------------------------------------------------------------===*/

/* attnc_generate drives any decoder-only model whose inputs and outputs use
 * the Hugging Face names (docs/c-api.md, "Generation"):
 *   inputs   input_ids i64[batch, seq]           (required)
 *            attention_mask i64[batch, past+seq] (optional; all ones)
 *            position_ids i64[batch, seq]        (optional; past .. past+seq-1)
 *            past_key_values.N.key / .value      (optional; N = 0, 1, ...)
 *   outputs  logits f32[batch, seq, vocab]       (required)
 *            present.N.key / .value              (one per past input)
 * and no other inputs. With past inputs, the prompt runs once with an empty
 * (length 0) past and every later step feeds one token; each step's
 * `present` tensors become the next step's `past` tensors without a copy.
 * Without past inputs the whole sequence is re-run every step. Batch is 1. */

/* Called once per generated token, in order; `index` counts from 0. Return
 * non-zero to stop generating (the token is kept). */
typedef int32_t (*attnc_token_callback)(void *user_data, int64_t token,
                                        size_t index);

typedef struct attnc_generate_options {
  /* sizeof(attnc_generate_options) as the caller was compiled. */
  size_t struct_size;
  /* Tokens to generate at most (default 16). */
  int32_t max_new_tokens;
  /* Keep only the k most likely tokens before sampling; 0 = off. */
  int32_t top_k;
  /* 0 (the default) = greedy: always the most likely token (the lowest id
   * on ties), and top_k/top_p/seed are ignored. > 0 = sample from
   * softmax(logits / temperature), filtered by top_k and top_p. */
  float temperature;
  /* Nucleus sampling: keep the most likely tokens whose probabilities sum
   * to at least top_p; 1 (the default) = off. Must be in (0, 1]. */
  float top_p;
  /* Seed of the sampler's random numbers (SplitMix64, docs/c-api.md): the
   * same seed, options, prompt and model give the same tokens. */
  uint64_t seed;
  /* Stop after generating this id (it is kept); -1 (the default) = none. */
  int64_t eos_token_id;
  /* Optional streaming callback and its first argument. */
  attnc_token_callback callback;
  void *user_data;
  /* Never generate this id; -1 (the default) = none. Marian models need
   * their pad id suppressed (Hugging Face's bad_words_ids). */
  int64_t suppress_token_id;
} attnc_generate_options;

/* Sets struct_size and the defaults above. */
ATTNC_API attnc_status
attnc_generate_options_init(attnc_generate_options *opts);

/* Generates up to max_new_tokens tokens after the `prompt_len` ids of
 * `prompt` (at least one) with `session`'s model. The generated ids go to
 * `tokens` (room for `capacity` >= max_new_tokens ids), their number to
 * `*num_tokens` (also on failure: the tokens produced before it). The KV
 * cache lives in tensors the runtime owns for the duration of the call.
 * `options` may be NULL for greedy decoding of 16 tokens.
 * Errors: INVALID_ARGUMENT (NULLs, empty prompt, prompt id outside the
 * vocabulary, capacity too small, bad options), INCOMPATIBLE (the model
 * does not follow the names above; the message says what is missing or
 * unexpected), and those of attnc_session_run. */
ATTNC_API attnc_status attnc_generate(attnc_session *session,
                                      const int64_t *prompt, size_t prompt_len,
                                      const attnc_generate_options *options,
                                      int64_t *tokens, size_t capacity,
                                      size_t *num_tokens);

/* Encoder-decoder generation (Marian, BART-style exports with optimum's
 * names; docs/c-api.md, "Encoder-decoder generation"):
 *   encoder            input_ids, optional attention_mask
 *                      -> last_hidden_state
 *   decoder            input_ids, optional encoder_attention_mask,
 *                      encoder_hidden_states -> logits, present.*
 *   decoder_with_past  input_ids, optional encoder_attention_mask,
 *                      past_key_values.X -> logits, present.X
 * The encoder runs once on `source`. The decoder runs the first step on
 * `decoder_start_token_id`; every later step feeds one token to
 * decoder_with_past, each past_key_values.X being the latest present.X
 * (decoder self-attention, handed over without a copy, or the decoder's
 * cross-attention keys/values, computed once). With decoder_with_past
 * NULL the decoder re-runs on the whole target each step. Options, tokens
 * and errors as for attnc_generate; the three sessions must differ. */
ATTNC_API attnc_status attnc_generate_seq2seq(
    attnc_session *encoder, attnc_session *decoder,
    attnc_session *decoder_with_past, const int64_t *source, size_t source_len,
    int64_t decoder_start_token_id, const attnc_generate_options *options,
    int64_t *tokens, size_t capacity, size_t *num_tokens);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_C_RUNTIME_H */

/* A tiny app linking a model compiled by attnc_add_model (tiny.h, generated
 * from tiny_transformer.onnx: x f32[batch, seq, 32] -> y of the same shape).
 *
 *   app IN.bin OUT.bin BATCH SEQ [MODEL.so]
 *
 * reads x as raw float32 from IN.bin, runs the model (loaded from MODEL.so,
 * default TINY_MODEL_PATH) and writes y as raw float32 to OUT.bin. Before
 * that it checks that a wrong input shape is refused with a status.
 *
 *   app --expect-incompatible OTHER.so
 *
 * checks that tiny_load refuses a model with another signature. */

#include "tiny.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, attnc_status status) {
  fprintf(stderr, "app: %s: %s: %s\n", what, attnc_status_string(status),
          attnc_last_error());
  return 1;
}

static int readFile(const char *path, void *data, size_t bytes) {
  FILE *f = fopen(path, "rb");
  size_t got = f ? fread(data, 1, bytes, f) : 0;
  int extra = f ? fgetc(f) : EOF;
  if (f)
    fclose(f);
  return got == bytes && extra == EOF ? 0 : -1;
}

/* Returns the process exit code. */
static int run(tiny *model, const char *inPath, const char *outPath,
               int64_t batch, int64_t seq) {
  int64_t dims[TINY_INPUT_X_RANK] = {batch, seq, TINY_INPUT_X_DIM2};
  int64_t badDims[TINY_INPUT_X_RANK] = {batch, seq, TINY_INPUT_X_DIM2 + 1};
  attnc_tensor *x = NULL, *bad = NULL;
  tiny_inputs in;
  tiny_outputs out;
  attnc_status s;
  void *xData, *yData;
  size_t bytes, yBytes;
  FILE *f;

  /* A wrong static dim is an error status, never a crash. */
  if ((s = attnc_tensor_create(TINY_INPUT_X_DTYPE, TINY_INPUT_X_RANK, badDims,
                               &bad)) != ATTNC_STATUS_OK)
    return fail("tensor", s);
  in.x = bad;
  s = tiny_run(model, &in, &out);
  attnc_tensor_destroy(bad);
  if (s != ATTNC_STATUS_SHAPE_MISMATCH || out.y != NULL) {
    fprintf(stderr,
            "app: a [.., %d] input gave status %s, not a shape "
            "mismatch\n",
            TINY_INPUT_X_DIM2 + 1, attnc_status_string(s));
    return 1;
  }
  printf("wrong shape refused: %s\n", attnc_last_error());

  if ((s = attnc_tensor_create(TINY_INPUT_X_DTYPE, TINY_INPUT_X_RANK, dims,
                               &x)) != ATTNC_STATUS_OK ||
      (s = attnc_tensor_byte_size(x, &bytes)) != ATTNC_STATUS_OK ||
      (s = attnc_tensor_data(x, &xData)) != ATTNC_STATUS_OK)
    return fail("input tensor", s);
  if (readFile(inPath, xData, bytes) != 0) {
    fprintf(stderr, "app: %s does not hold %zu bytes\n", inPath, bytes);
    attnc_tensor_destroy(x);
    return 1;
  }
  in.x = x;
  s = tiny_run(model, &in, &out);
  attnc_tensor_destroy(x);
  if (s != ATTNC_STATUS_OK)
    return fail("tiny_run", s);
  if ((s = attnc_tensor_byte_size(out.y, &yBytes)) != ATTNC_STATUS_OK ||
      (s = attnc_tensor_data(out.y, &yData)) != ATTNC_STATUS_OK) {
    tiny_outputs_destroy(&out);
    return fail("output tensor", s);
  }
  f = fopen(outPath, "wb");
  if (!f || fwrite(yData, 1, yBytes, f) != yBytes) {
    fprintf(stderr, "app: cannot write %s\n", outPath);
    if (f)
      fclose(f);
    tiny_outputs_destroy(&out);
    return 1;
  }
  fclose(f);
  printf("y: %zu bytes written\n", yBytes);
  tiny_outputs_destroy(&out);
  return 0;
}

int main(int argc, char **argv) {
  tiny model;
  attnc_status s;
  int rc;
  if (argc == 3 && strcmp(argv[1], "--expect-incompatible") == 0) {
    s = tiny_load(argv[2], &model);
    if (s != ATTNC_STATUS_INCOMPATIBLE || model.model || model.session) {
      fprintf(stderr, "app: loading %s gave %s, not incompatible\n", argv[2],
              attnc_status_string(s));
      tiny_destroy(&model);
      return 1;
    }
    printf("%s refused: %s\n", argv[2], attnc_status_string(s));
    return 0;
  }
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: app IN.bin OUT.bin BATCH SEQ [MODEL.so]\n");
    return 2;
  }
  s = tiny_load(argc == 6 ? argv[5] : NULL, &model);
  if (s != ATTNC_STATUS_OK)
    return fail("tiny_load", s);
  printf("loaded %s\n", argc == 6 ? argv[5] : TINY_MODEL_PATH);
  rc = run(&model, argv[1], argv[2], atoll(argv[3]), atoll(argv[4]));
  tiny_destroy(&model);
  return rc;
}

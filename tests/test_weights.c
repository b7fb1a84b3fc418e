/*
 * test_weights.c - bad model directories and safetensors files must give a
 * clear error (naming the file/tensor/field) and never crash. Run under
 * AddressSanitizer by the test command as well.
 *
 * Each case writes a corrupted copy of the tiny-tied-f32 fixture into a
 * temporary directory and checks qs_weights_load's status and message.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qwen2_weights.h"
#include "test_util.h"

static char tmpdir[256];
static const char *SRC = "tests/data/models/tiny-tied-f32";

static void write_bytes(const char *name, const void *data, size_t n) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    QS_ASSERT(f);
    fwrite(data, 1, n, f);
    fclose(f);
}

static void write_text(const char *name, const char *text) { write_bytes(name, text, strlen(text)); }

static char *good_config;   /* config.json of the fixture */
static char *good_st;       /* model.safetensors bytes */
static size_t good_st_size;

/* Fresh directory holding the good config and safetensors. */
static void reset_dir(void) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", tmpdir, tmpdir);
    QS_ASSERT(system(cmd) == 0);
    write_text("config.json", good_config);
    write_bytes("model.safetensors", good_st, good_st_size);
}

/* Load tmpdir; expect failure with every needle in the message. */
static void expect_error(const char *what, ...) {
    qs_weights w;
    qs_status st = qs_weights_load(&w, tmpdir);
    CHECK(st != QS_OK, "%s: loaded without error", what);
    if (st == QS_OK) {
        qs_weights_free(&w);
        return;
    }
    const char *msg = qs_last_error();
    va_list ap;
    va_start(ap, what);
    for (const char *needle; (needle = va_arg(ap, const char *));)
        CHECK(strstr(msg, needle) != NULL, "%s: message lacks '%s': %s", what, needle, msg);
    va_end(ap);
    printf("  %-34s -> %s\n", what, msg);
}

/* A safetensors file from a header string and a data section. */
static void write_st(const char *header, size_t data_bytes) {
    size_t hl = strlen(header);
    size_t n = 8 + hl + data_bytes;
    unsigned char *buf = qs_calloc(n, 1);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, header, hl);
    write_bytes("model.safetensors", buf, n);
    free(buf);
}

/* Rewrite the good file with one tensor's header entry replaced via a callback on the JSON text. */
static void patch_header(const char *from, const char *to) {
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = (hl << 8) | (unsigned char)good_st[i];
    char *hdr = qs_malloc(hl + 1);
    memcpy(hdr, good_st + 8, hl);
    hdr[hl] = 0;
    char *at = strstr(hdr, from);
    QS_ASSERT(at);
    size_t nl = hl - strlen(from) + strlen(to);
    char *nh = qs_malloc(nl + 1);
    memcpy(nh, hdr, (size_t)(at - hdr));
    strcpy(nh + (at - hdr), to);
    strcat(nh, at + strlen(from));
    size_t data = good_st_size - 8 - hl;
    size_t n = 8 + nl + data;
    unsigned char *buf = qs_malloc(n);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)nl >> (8 * i));
    memcpy(buf + 8, nh, nl);
    memcpy(buf + 8 + nl, good_st + 8 + hl, data);
    write_bytes("model.safetensors", buf, n);
    free(buf), free(nh), free(hdr);
}

static void config_with(const char *from, const char *to) {
    char *at = strstr(good_config, from);
    QS_ASSERT(at);
    size_t n = strlen(good_config) - strlen(from) + strlen(to) + 1;
    char *c = qs_malloc(n);
    memcpy(c, good_config, (size_t)(at - good_config));
    strcpy(c + (at - good_config), to);
    strcat(c, at + strlen(from));
    write_text("config.json", c);
    free(c);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/qsteer-test-weights-%d", (int)getpid());
    char p[512];
    snprintf(p, sizeof p, "%s/config.json", SRC);
    QS_ASSERT(qs_read_file(p, &good_config, NULL) == QS_OK);
    snprintf(p, sizeof p, "%s/model.safetensors", SRC);
    QS_ASSERT(qs_read_file(p, &good_st, &good_st_size) == QS_OK);

    /* the good copy loads */
    reset_dir();
    qs_weights w;
    CHECK(qs_weights_load(&w, tmpdir) == QS_OK, "good copy: %s", qs_last_error());
    qs_weights_free(&w);

    printf("safetensors:\n");
    reset_dir(), write_bytes("model.safetensors", good_st, good_st_size - 100);
    expect_error("truncated file", "model.safetensors", "outside the data section", NULL);
    reset_dir(), write_bytes("model.safetensors", good_st, 5);
    expect_error("shorter than 8 bytes", "too short", NULL);
    reset_dir(), write_st("{\"a\":", 0);
    {
        unsigned char b[16] = {0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, '{', '}'};
        write_bytes("model.safetensors", b, sizeof b);
    }
    expect_error("header length beyond the file", "header length", "exceeds", NULL);
    reset_dir(), write_st("{\"model.norm.weight\": not json", 16);
    expect_error("header not JSON", "not a valid JSON", NULL);
    reset_dir(), patch_header("\"model.norm.weight\":{\"dtype\":\"F32\"", "\"model.norm.weight\":{\"dtype\":\"F64\"");
    expect_error("unknown dtype", "model.norm.weight", "F64", NULL);
    reset_dir(), write_st("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                          "\"y\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24);
    expect_error("overlapping tensors", "overlap", NULL);
    reset_dir(), write_st("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
    expect_error("offset outside the file", "'x'", "outside the data section", NULL);
    reset_dir(), write_st("{\"x\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,16]}}", 16);
    expect_error("size does not match shape", "'x'", "needs 20", NULL);
    reset_dir(), write_st("{\"x\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 16);
    expect_error("negative shape", "'x'", "shape[0]", NULL);
    reset_dir(), write_st("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}", 16);
    expect_error("reversed offsets", "'x'", "data_offsets", NULL);
    reset_dir(), write_st("[1,2,3]", 0);
    expect_error("header is an array", "not a valid JSON object", NULL);

    printf("tensors against the config:\n");
    reset_dir(), patch_header("\"model.norm.weight\"", "\"model.norm.weightX\"");
    expect_error("missing tensor", "'model.norm.weight'", "missing", NULL);
    reset_dir(), config_with("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false");
    expect_error("untied without lm_head", "'lm_head.weight'", "missing", NULL);
    reset_dir(), config_with("\"intermediate_size\": 256", "\"intermediate_size\": 255");
    expect_error("wrong shape", "model.layers.0.mlp.gate_proj.weight", "[256, 128]", "[255, 128]", NULL);
    reset_dir(), patch_header("\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[128],\"data_offsets\":[",
                              "\"model.norm.weight\":{\"dtype\":\"I32\",\"shape\":[128],\"data_offsets\":[");
    expect_error("integer weight dtype", "model.norm.weight", "I32", "expected F32, F16 or BF16", NULL);

    printf("config.json:\n");
    reset_dir(), write_text("config.json", "{\"hidden_size\": 128,");
    expect_error("malformed JSON", "config.json", "not a valid JSON", NULL);
    reset_dir(), config_with("\"Qwen2ForCausalLM\"", "\"LlamaForCausalLM\"");
    expect_error("other architecture", "architectures", "LlamaForCausalLM", NULL);
    reset_dir(), config_with("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4}");
    expect_error("rope_scaling set", "rope_scaling", NULL);
    reset_dir(), config_with("\"use_sliding_window\": false", "\"use_sliding_window\": true");
    expect_error("sliding window", "use_sliding_window", NULL);
    reset_dir(), config_with("\"hidden_size\": 128", "\"hidden_size\": \"128\"");
    expect_error("wrong field type", "hidden_size", "integer", NULL);
    reset_dir(), config_with("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3");
    expect_error("heads not a multiple", "num_key_value_heads", NULL);
    reset_dir(), config_with("\"num_hidden_layers\": 3,", "");
    expect_error("missing field", "num_hidden_layers", "missing", NULL);
    reset_dir(), config_with("\"num_hidden_layers\": 3", "\"num_hidden_layers\": 4");
    expect_error("more layers than tensors", "model.layers.3", "missing", NULL);

    printf("directory:\n");
    reset_dir();
    snprintf(p, sizeof p, "%s/model.safetensors", tmpdir);
    remove(p);
    expect_error("no safetensors", "model.safetensors", NULL);
    reset_dir(), write_text("model.safetensors.index.json", "{\"weight_map\": {\"model.norm.weight\": \"../x.safetensors\"}}");
    expect_error("index escapes the directory", "weight_map", NULL);
    reset_dir(), write_text("model.safetensors.index.json", "{\"weight_map\": {\"model.norm.weight\": \"model-2.safetensors\"}}");
    expect_error("index names a missing shard", "model-2.safetensors", NULL);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    QS_ASSERT(system(cmd) == 0);
    free(good_config), free(good_st);
    return test_summary("test_weights");
}

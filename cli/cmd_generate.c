/* cmd_generate.c - `qsteer generate`: stream a completion to stdout. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_model.h"
#include "generate.h"
#include "kernels.h"
#include "steer.h"
#include "tokenizer.h"

static const char *CMD = "generate";

static void usage(FILE *f) {
    fprintf(f,
            "usage: qsteer generate --model DIR (--prompt TEXT | --prompt-ids IDS) [options]\n\n"
            "Generates a continuation of the prompt and streams it to stdout.\n\n"
            "  --model DIR          Hugging Face model directory (config.json, safetensors, tokenizer.json)\n"
            "  --prompt TEXT        prompt text (needs DIR/tokenizer.json)\n"
            "  --prompt-ids IDS     prompt as comma-separated token ids, e.g. 1,2,3 (no tokenizer needed)\n"
            "  --chat               wrap the prompt in the ChatML chat template (user turn, then\n"
            "                       '<|im_start|>assistant\\n'); adds Qwen2.5's default system prompt\n"
            "  --system TEXT        system prompt for --chat instead of the default\n"
            "  --no-system          no system turn with --chat\n"
            "  --max-tokens N       tokens to generate at most (default 128)\n"
            "  --temperature T      sampling temperature; 0 = greedy argmax (default 0.7)\n"
            "  --top-k K            keep the K most likely tokens; 0 = off (default 20)\n"
            "  --top-p P            nucleus sampling mass; 1 = off (default 0.8)\n"
            "  --repeat-penalty R   HF repetition penalty on tokens seen so far; 1 = off (default 1)\n"
            "  --seed S             random seed; the same seed gives the same text (default 42)\n"
            "  --stop STR           stop when STR appears in the output (repeatable; STR is not printed)\n"
            "  --print-ids          print the generated ids comma-separated on one line instead of text\n"
            "  --ctx N              context length in tokens (default: prompt + max-tokens)\n"
            "  --threads N          compute threads (default: all cores)\n"
            "  --kernels LEVEL      force a kernel level: ref, avx2, avx512 (default: best available)\n"
            "  --weights FORMAT     native (default: as stored) or q8: matrices quantized to 8 bits at\n"
            "                       load (groups of 32, fp16 scale; ~0.53x the bytes of BF16 per token)\n"
            "  --steer FILE:LAYERS:SCALE\n"
            "                       add SCALE x the direction in FILE (qsteer .safetensors or llama.cpp\n"
            "                       control-vector .gguf) to the residual stream at LAYERS: 5, 16,17,\n"
            "                       10-14 or all (0 = embedding output, k = after block k-1). SCALE may\n"
            "                       be negative. Repeatable; several --steer options add up\n"
            "  --steer-positions WHICH  all (default), prompt, or generated (each generated token)\n"
            "  --scale-mode MODE    absolute (default) or relative: SCALE x the mean residual norm\n"
            "                       recorded for that layer in the directions file\n"
            "  --stats              print timings (prompt and generation tok/s) on stderr\n"
            "  --help               this text\n"
            "Generation stops at max-tokens, at an end-of-sequence token of the model\n"
            "(config.json / generation_config.json eos_token_id) or at a stop string.\n");
}

/* ---------------------------------------------------------------- text output with stop strings */

typedef struct {
    qs_decode_stream *ds;
    char **stops;
    int n_stops;
    size_t max_stop;
    char *text; /* everything decoded so far */
    size_t len, cap, printed;
    int print_ids;
    int n_ids;
    int stopped;
    double t_start, t_first; /* generation start; first token sampled */
} out_state;

static void out_append(out_state *o, const char *s, size_t n) {
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->text = realloc(o->text, o->cap);
        QS_ASSERT(o->text);
    }
    memcpy(o->text + o->len, s, n);
    o->len += n;
    o->text[o->len] = 0;
}

/* Print decoded text, holding back a tail that could still become a stop string. */
static void out_emit(out_state *o, int final) {
    size_t upto = o->len;
    for (int i = 0; i < o->n_stops; i++) {
        size_t from = o->printed;
        char *hit = strstr(o->text + from, o->stops[i]);
        if (hit && (size_t)(hit - o->text) < upto) {
            upto = (size_t)(hit - o->text);
            o->stopped = 1;
        }
    }
    if (!o->stopped && !final && o->max_stop > 1) {
        size_t hold = o->max_stop - 1;
        upto = o->len > o->printed + hold ? o->len - hold : o->printed;
        while (upto > o->printed && ((unsigned char)o->text[upto] & 0xC0) == 0x80) upto--; /* UTF-8 boundary */
    }
    if (upto > o->printed) {
        fwrite(o->text + o->printed, 1, upto - o->printed, stdout);
        fflush(stdout);
        o->printed = upto;
    }
}

static int on_token(void *ud, int32_t id) {
    out_state *o = ud;
    if (o->t_first == 0) o->t_first = qs_now();
    if (o->print_ids) {
        printf("%s%d", o->n_ids++ ? "," : "", id);
        return 0;
    }
    const char *s;
    size_t n;
    if (qs_decode_stream_push(o->ds, id, &s, &n) == QS_OK) out_append(o, s, n);
    out_emit(o, 0);
    return o->stopped;
}

/* ---------------------------------------------------------------- main */

int qs_cmd_generate(int argc, char **argv) {
    enum { O_PROMPT_IDS = 256, O_MAX, O_TEMP, O_TOPK, O_TOPP, O_REP, O_SEED, O_STOP, O_PRINT, O_CTX, O_THREADS, O_WEIGHTS,
           O_SYSTEM, O_NOSYS, O_KERNELS, O_STATS, O_STEER, O_STEER_POS, O_SCALE_MODE };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},        {"prompt", required_argument, 0, 'p'},
        {"prompt-ids", required_argument, 0, O_PROMPT_IDS}, {"chat", no_argument, 0, 'c'},
        {"system", required_argument, 0, O_SYSTEM},  {"no-system", no_argument, 0, O_NOSYS},
        {"max-tokens", required_argument, 0, O_MAX}, {"temperature", required_argument, 0, O_TEMP},
        {"top-k", required_argument, 0, O_TOPK},     {"top-p", required_argument, 0, O_TOPP},
        {"repeat-penalty", required_argument, 0, O_REP}, {"seed", required_argument, 0, O_SEED},
        {"stop", required_argument, 0, O_STOP},      {"print-ids", no_argument, 0, O_PRINT},
        {"ctx", required_argument, 0, O_CTX},        {"threads", required_argument, 0, O_THREADS},
        {"kernels", required_argument, 0, O_KERNELS}, {"stats", no_argument, 0, O_STATS},
        {"steer", required_argument, 0, O_STEER},    {"steer-positions", required_argument, 0, O_STEER_POS},
        {"scale-mode", required_argument, 0, O_SCALE_MODE}, {"weights", required_argument, 0, O_WEIGHTS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *model = NULL, *prompt = NULL, *prompt_ids = NULL, *system = NULL;
    int chat = 0, no_system = 0, print_ids = 0, stats = 0, q8 = 0;
    long max_tokens = 128, top_k = 20, seed = 42, n_ctx = 0, threads = 0;
    double temp = 0.7, top_p = 0.8, rep = 1.0;
    unsigned kmask = ~0u;
    const char **steer_specs = NULL;
    int n_steer = 0;
    qs_steer_positions steer_pos = QS_STEER_ALL;
    qs_scale_mode scale_mode = QS_SCALE_ABSOLUTE;
    out_state o = {0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "m:p:ch", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'p': prompt = optarg; break;
        case O_PROMPT_IDS: prompt_ids = optarg; break;
        case 'c': chat = 1; break;
        case O_SYSTEM: system = optarg; break;
        case O_NOSYS: no_system = 1; break;
        case O_MAX:
            if (cli_int_opt(CMD, "--max-tokens", optarg, 1, 1 << 24, &max_tokens)) return 2;
            break;
        case O_TEMP:
            if (cli_parse_float(optarg, &temp) || temp < 0) return cli_error(CMD, "--temperature: expected a number >= 0, got '%s'", optarg);
            break;
        case O_TOPK:
            if (cli_int_opt(CMD, "--top-k", optarg, 0, 1 << 30, &top_k)) return 2;
            break;
        case O_TOPP:
            if (cli_parse_float(optarg, &top_p) || top_p <= 0 || top_p > 1) return cli_error(CMD, "--top-p: expected a number in (0, 1], got '%s'", optarg);
            break;
        case O_REP:
            if (cli_parse_float(optarg, &rep) || rep <= 0) return cli_error(CMD, "--repeat-penalty: expected a number > 0, got '%s'", optarg);
            break;
        case O_SEED:
            if (cli_int_opt(CMD, "--seed", optarg, 0, 0x7fffffffffffffffL, &seed)) return 2;
            break;
        case O_STOP:
            if (!optarg[0]) return cli_error(CMD, "--stop: the stop string is empty");
            o.stops = realloc(o.stops, (size_t)(o.n_stops + 1) * sizeof(char *));
            QS_ASSERT(o.stops);
            o.stops[o.n_stops++] = optarg;
            if (strlen(optarg) > o.max_stop) o.max_stop = strlen(optarg);
            break;
        case O_PRINT: print_ids = 1; break;
        case O_CTX:
            if (cli_int_opt(CMD, "--ctx", optarg, 2, 1 << 24, &n_ctx)) return 2;
            break;
        case O_THREADS:
            if (cli_int_opt(CMD, "--threads", optarg, 1, 1024, &threads)) return 2;
            break;
        case O_KERNELS:
            if (!strcmp(optarg, "ref")) kmask = 0;
            else if (!strcmp(optarg, "avx2")) kmask = QS_CPU_AVX2;
            else if (!strcmp(optarg, "avx512")) kmask = ~0u;
            else return cli_error(CMD, "--kernels: expected ref, avx2 or avx512, got '%s'", optarg);
            break;
        case O_STATS: stats = 1; break;
        case O_WEIGHTS:
            if (cli_weights_opt(CMD, optarg, &q8)) return 2;
            break;
        case O_STEER:
            steer_specs = realloc(steer_specs, (size_t)(n_steer + 1) * sizeof(char *));
            QS_ASSERT(steer_specs);
            steer_specs[n_steer++] = optarg;
            break;
        case O_STEER_POS:
            if (!strcmp(optarg, "all")) steer_pos = QS_STEER_ALL;
            else if (!strcmp(optarg, "prompt")) steer_pos = QS_STEER_PROMPT;
            else if (!strcmp(optarg, "generated")) steer_pos = QS_STEER_GENERATED;
            else return cli_error(CMD, "--steer-positions: expected all, prompt or generated, got '%s'", optarg);
            break;
        case O_SCALE_MODE:
            if (!strcmp(optarg, "absolute")) scale_mode = QS_SCALE_ABSOLUTE;
            else if (!strcmp(optarg, "relative")) scale_mode = QS_SCALE_RELATIVE;
            else return cli_error(CMD, "--scale-mode: expected absolute or relative, got '%s'", optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) return cli_error(CMD, "unexpected argument '%s' (see --help)", argv[optind]);
    if (!model) return cli_error(CMD, "--model DIR is required (see --help)");
    if (!!prompt + !!prompt_ids != 1) return cli_error(CMD, "give exactly one of --prompt TEXT or --prompt-ids IDS");
    if (chat && prompt_ids) return cli_error(CMD, "--chat needs --prompt TEXT, not --prompt-ids");

    qs_kernels_init(kmask);
    int rc = 1;
    cli_model m;
    qs_ctx ctx;
    int ctx_ok = 0, steer_ok = 0;
    qs_steer steer;
    int32_t *ids = NULL, *gen = NULL;
    int n_ids = 0, n_gen = 0;
    char *chat_text = NULL;
    if (cli_model_open(&m, CMD, model, prompt != NULL || !print_ids)) return 1;
    if (q8 && cli_model_quantize(&m, CMD, (int)threads)) goto done;
    const qs_weights *w = &m.w;
    qs_tokenizer *tok = m.tok;
    if (prompt_ids) {
        if (cli_parse_ids(prompt_ids, &ids, &n_ids)) { cli_error(CMD, "--prompt-ids: expected comma-separated non-negative integers, got '%s'", prompt_ids); goto done; }
    } else {
        const char *text = prompt;
        if (chat) {
            qs_chat_msg msgs[2];
            size_t nm = 0;
            if (system) msgs[nm++] = (qs_chat_msg){"system", system};
            msgs[nm++] = (qs_chat_msg){"user", prompt};
            text = chat_text = qs_chat_format(msgs, nm, 1, !no_system);
        }
        size_t n;
        if (qs_tokenizer_encode(tok, text, strlen(text), &ids, &n) != QS_OK) { cli_lib_error(CMD); goto done; }
        n_ids = (int)n;
    }
    for (int i = 0; i < n_ids; i++)
        if (ids[i] >= w->cfg.vocab_size) { cli_error(CMD, "prompt token id %d is outside the model's vocabulary [0, %d)", ids[i], w->cfg.vocab_size); goto done; }

    qs_ctx_params cp = {.n_ctx = n_ctx ? (int)n_ctx : n_ids + (int)max_tokens + 1, .n_seq = 1, .n_batch = 256,
                        .n_logits = 1, .n_threads = (int)threads};
    if (qs_ctx_init(&ctx, w, &cp) != QS_OK) { cli_lib_error(CMD); goto done; }
    ctx_ok = 1;
    if (n_ids >= ctx.p.n_ctx) { cli_error(CMD, "the prompt has %d tokens; the context holds %d (--ctx, max_position_embeddings)", n_ids, ctx.p.n_ctx); goto done; }

    qs_steer_hook_state hook = {0};
    const qs_steer *per_seq[1] = {NULL};
    int prompt_len[1] = {n_ids};
    if (n_steer > 0) {
        char note[512];
        if (qs_steer_from_specs(&steer, &w->cfg, steer_specs, n_steer, steer_pos, scale_mode, note, sizeof note) != QS_OK) {
            cli_lib_error(CMD);
            goto done;
        }
        steer_ok = 1;
        if (note[0]) fprintf(stderr, "qsteer generate: note: %s\n", note);
        per_seq[0] = &steer;
        hook = (qs_steer_hook_state){.n_seq = 1, .per_seq = per_seq, .prompt_len = prompt_len};
        qs_ctx_set_hook(&ctx, qs_steer_hook, &hook);
    }
    o.print_ids = print_ids;
    if (tok) o.ds = qs_decode_stream_init(tok, 1);
    qs_gen_params gp = {
        .max_tokens = (int)max_tokens,
        .sampling = {.temperature = (float)temp, .top_k = (int)top_k, .top_p = (float)top_p,
                     .repeat_penalty = (float)rep, .seed = (uint64_t)seed},
        .eos_ids = w->cfg.eos_token_ids, .n_eos = w->cfg.n_eos, .on_token = on_token, .ud = &o};
    o.t_start = qs_now();
    if (qs_generate(&ctx, 0, ids, n_ids, &gp, &gen, &n_gen) != QS_OK) { cli_lib_error(CMD); goto done; }
    double t_end = qs_now();
    if (print_ids) {
        printf("\n");
    } else {
        const char *s;
        size_t n;
        if (!o.stopped && qs_decode_stream_flush(o.ds, &s, &n) == QS_OK) out_append(&o, s, n);
        out_emit(&o, 1);
        printf("\n");
    }
    fflush(stdout);
    if (stats && n_gen > 0) {
        /* o.t_first is when the first token was sampled: prefill ends there */
        double pre = o.t_first - o.t_start, dec = t_end - o.t_first;
        fprintf(stderr, "qsteer: prompt %d tokens in %.3f s (%.1f tok/s); generated %d tokens, %.2f tok/s after the first; kernels %s, %d threads\n",
                n_ids, pre, n_ids / pre, n_gen, n_gen > 1 ? (n_gen - 1) / dec : 0.0, qs_k.name, ctx.p.n_threads);
    }
    rc = 0;
done:
    fflush(stdout);
    if (o.ds) qs_decode_stream_free(o.ds);
    free(o.text);
    free(o.stops);
    free(ids);
    free(gen);
    free(chat_text);
    if (ctx_ok) qs_ctx_free(&ctx);
    if (steer_ok) qs_steer_free(&steer);
    free(steer_specs);
    cli_model_close(&m);
    return rc;
}

/*
 * cmd_tokenize.c - `qsteer tokenize`: text <-> token ids as JSON lines.
 *
 *   qsteer tokenize --tokenizer FILE < in.jsonl     {"text": "..."} -> {"ids": [...]}
 *   qsteer tokenize --tokenizer FILE --text STR     one line for STR
 *   qsteer tokenize --tokenizer FILE --decode       {"ids": [...]} -> {"text": "..."}
 *   qsteer tokenize --tokenizer FILE --chat         {"messages": [...]} -> {"ids": [...]}
 *
 * One output line per input line, in order; blank input lines are skipped.
 * A bad input line stops the run with an error naming the line.
 */
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "tokenizer.h"

#define CMD "tokenize"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: qsteer tokenize --tokenizer FILE [options]\n\n"
            "Reads JSON lines from stdin and writes one JSON line per input line to stdout.\n"
            "Ids are exactly those of Hugging Face tokenizers (no BOS/EOS added; special\n"
            "tokens written in the text, like <|im_end|>, become their single id).\n\n"
            "options:\n"
            "  --tokenizer FILE      tokenizer.json, or a model directory containing one (required)\n"
            "  --text STR            encode STR instead of reading stdin; prints {\"ids\": [...]}\n"
            "  --decode              read {\"ids\": [...]} lines and print {\"text\": \"...\"}\n"
            "  --skip-special        with --decode: leave out special tokens (<|im_end|>, ...)\n"
            "  --chat                read {\"messages\": [{\"role\": ..., \"content\": ...}, ...]} lines,\n"
            "                        format them with Qwen's ChatML template and print the ids\n"
            "                        (and the formatted text as \"text\")\n"
            "  --no-generation-prompt  with --chat: do not end with \"<|im_start|>assistant\\n\"\n"
            "  --default-system      with --chat: add Qwen2.5's default system prompt when the\n"
            "                        first message is not a system message\n"
            "  -h, --help            show this help\n\n"
            "Input text is UTF-8; invalid bytes become U+FFFD (as Python's errors=\"replace\").\n"
            "JSON strings cannot carry a NUL character here (\\u0000 ends the string).\n"
            "Decoding skips ids not in the vocabulary.\n");
}

/* "--tokenizer" may name a model directory. Returns a malloc'd path. */
static char *tokenizer_path(const char *arg)
{
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        size_t n = strlen(arg) + sizeof("/tokenizer.json");
        char *p = qs_malloc(n);
        snprintf(p, n, "%s/tokenizer.json", arg);
        return p;
    }
    return qs_strdup(arg);
}

static int print_json(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    if (!s)
        return cli_error(CMD, "out of memory");
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
    return 0;
}

/* Encode text and print {"ids": [...]} (plus "text" when show_text). */
static int emit_ids(qs_tokenizer *tok, const char *text, size_t len, int show_text)
{
    int32_t *ids;
    size_t n;
    if (qs_tokenizer_encode(tok, text, len, &ids, &n) != QS_OK)
        return cli_lib_error(CMD);
    cJSON *o = cJSON_CreateObject();
    if (show_text)
        cJSON_AddStringToObject(o, "text", text);
    cJSON *arr = cJSON_AddArrayToObject(o, "ids");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(ids[i]));
    int r = print_json(o);
    cJSON_Delete(o);
    free(ids);
    return r;
}

static int do_decode(qs_tokenizer *tok, const cJSON *in, long lineno, int skip_special)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(in, "ids");
    if (!cJSON_IsArray(arr))
        return cli_error(CMD, "stdin line %ld: expected an object with an array field \"ids\"",
                         lineno);
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    int32_t *ids = qs_malloc((n ? n : 1) * sizeof(int32_t));
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsNumber(it) || it->valuedouble < -2147483648.0 ||
            it->valuedouble > 2147483647.0 || (double)(int32_t)it->valuedouble != it->valuedouble) {
            free(ids);
            return cli_error(CMD, "stdin line %ld: ids[%zu]: expected an integer", lineno, i);
        }
        ids[i++] = (int32_t)it->valuedouble;
    }
    char *text;
    qs_status st = qs_tokenizer_decode(tok, ids, n, skip_special, &text);
    free(ids);
    if (st != QS_OK)
        return cli_lib_error(CMD);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", text);
    int r = print_json(o);
    cJSON_Delete(o);
    free(text);
    return r;
}

static int do_chat(qs_tokenizer *tok, const cJSON *in, long lineno, int gen_prompt,
                   int default_system)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(in, "messages");
    if (!cJSON_IsArray(arr))
        return cli_error(CMD, "stdin line %ld: expected an object with an array field \"messages\"",
                         lineno);
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    qs_chat_msg *msgs = qs_calloc(n ? n : 1, sizeof(*msgs));
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(it, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");
        if (!cJSON_IsString(role) || !cJSON_IsString(content)) {
            free(msgs);
            return cli_error(CMD,
                             "stdin line %ld: messages[%zu]: expected {\"role\": string, "
                             "\"content\": string}",
                             lineno, i);
        }
        msgs[i].role = role->valuestring;
        msgs[i].content = content->valuestring;
        i++;
    }
    char *text = qs_chat_format(msgs, n, gen_prompt, default_system);
    free(msgs);
    if (!text)
        return cli_error(CMD,
                         "stdin line %ld: unknown role (expected system, user, assistant or tool)",
                         lineno);
    int r = emit_ids(tok, text, strlen(text), 1);
    free(text);
    return r;
}

int qs_cmd_tokenize(int argc, char **argv)
{
    enum { OPT_SKIP = 256, OPT_NOGEN, OPT_DEFSYS };
    static const struct option opts[] = {
        {"tokenizer", required_argument, NULL, 't'},
        {"text", required_argument, NULL, 'x'},
        {"decode", no_argument, NULL, 'd'},
        {"chat", no_argument, NULL, 'c'},
        {"skip-special", no_argument, NULL, OPT_SKIP},
        {"no-generation-prompt", no_argument, NULL, OPT_NOGEN},
        {"default-system", no_argument, NULL, OPT_DEFSYS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *tok_arg = NULL, *text = NULL;
    int decode = 0, chat = 0, skip_special = 0, gen_prompt = 1, default_system = 0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': tok_arg = optarg; break;
        case 'x': text = optarg; break;
        case 'd': decode = 1; break;
        case 'c': chat = 1; break;
        case OPT_SKIP: skip_special = 1; break;
        case OPT_NOGEN: gen_prompt = 0; break;
        case OPT_DEFSYS: default_system = 1; break;
        case 'h': usage(stdout); return 0;
        default:
            usage(stderr);
            return cli_error(CMD, "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_error(CMD, "unexpected argument '%s' (see --help)", argv[optind]);
    if (!tok_arg)
        return cli_error(CMD, "--tokenizer FILE is required (see --help)");
    if (decode + chat + (text != NULL) > 1)
        return cli_error(CMD, "--text, --decode and --chat exclude each other");

    char *path = tokenizer_path(tok_arg);
    qs_tokenizer *tok;
    qs_status st = qs_tokenizer_load(&tok, path);
    free(path);
    if (st != QS_OK)
        return cli_lib_error(CMD);

    int rc = 0;
    if (text) {
        rc = emit_ids(tok, text, strlen(text), 0);
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        long lineno = 0;
        while (rc == 0 && (len = getline(&line, &cap, stdin)) >= 0) {
            lineno++;
            size_t n = (size_t)len;
            while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
                n--;
            if (n == 0)
                continue;
            cJSON *in = cJSON_ParseWithLength(line, n);
            if (!cJSON_IsObject(in)) {
                rc = cli_error(CMD, "stdin line %ld: not a JSON object", lineno);
            } else if (decode) {
                rc = do_decode(tok, in, lineno, skip_special);
            } else if (chat) {
                rc = do_chat(tok, in, lineno, gen_prompt, default_system);
            } else {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "text");
                if (!cJSON_IsString(t))
                    rc = cli_error(CMD, "stdin line %ld: expected an object with a string field "
                                        "\"text\"",
                                   lineno);
                else
                    rc = emit_ids(tok, t->valuestring, strlen(t->valuestring), 0);
            }
            cJSON_Delete(in);
        }
        free(line);
        if (rc == 0 && ferror(stdin))
            rc = cli_error(CMD, "error reading stdin");
    }
    if (fflush(stdout) != 0 && rc == 0)
        rc = cli_error(CMD, "error writing stdout");
    qs_tokenizer_free(tok);
    return rc;
}

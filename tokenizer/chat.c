/*
 * chat.c - the ChatML prompt of Qwen2.5 instruct models, written out by hand
 * instead of running the Jinja chat_template. This is the template's
 * no-tools branch:
 *
 *   if messages[0].role == "system":
 *       <|im_start|>system\n{messages[0].content}<|im_end|>\n
 *   else (Qwen2.5; only when default_system != 0):
 *       <|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a
 *       helpful assistant.<|im_end|>\n
 *   for each message (except a leading system message):
 *       user / system / assistant:
 *           <|im_start|>{role}\n{content}<|im_end|>\n
 *       tool: a run of consecutive tool messages becomes one user turn
 *           <|im_start|>user\n<tool_response>\n{c1}\n</tool_response>
 *           \n<tool_response>\n{c2}\n</tool_response><|im_end|>\n
 *   if add_generation_prompt:
 *       <|im_start|>assistant\n
 *
 * Not implemented (not needed for steering runs): tool definitions and
 * assistant tool_calls, and the Qwen3 template's <think> handling.
 */
#include <string.h>

#include "tok_internal.h"

static const char QWEN25_DEFAULT_SYSTEM[] =
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void put(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        QS_ASSERT(p != NULL);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static int is_role(const qs_chat_msg *m, const char *role)
{
    return strcmp(m->role, role) == 0;
}

char *qs_chat_format(const qs_chat_msg *msgs, size_t n, int add_generation_prompt,
                     int default_system)
{
    if (!msgs && n)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!msgs[i].role || !msgs[i].content)
            return NULL;
        if (!is_role(&msgs[i], "system") && !is_role(&msgs[i], "user") &&
            !is_role(&msgs[i], "assistant") && !is_role(&msgs[i], "tool"))
            return NULL;
    }
    sbuf b = {0};
    put(&b, "");
    size_t first = 0;
    if (n > 0 && is_role(&msgs[0], "system")) {
        put(&b, "<|im_start|>system\n");
        put(&b, msgs[0].content);
        put(&b, "<|im_end|>\n");
        first = 1;
    } else if (default_system) {
        put(&b, "<|im_start|>system\n");
        put(&b, QWEN25_DEFAULT_SYSTEM);
        put(&b, "<|im_end|>\n");
    }
    for (size_t i = first; i < n; i++) {
        const qs_chat_msg *m = &msgs[i];
        if (is_role(m, "tool")) {
            if (i == 0 || !is_role(&msgs[i - 1], "tool"))
                put(&b, "<|im_start|>user");
            put(&b, "\n<tool_response>\n");
            put(&b, m->content);
            put(&b, "\n</tool_response>");
            if (i + 1 == n || !is_role(&msgs[i + 1], "tool"))
                put(&b, "<|im_end|>\n");
            continue;
        }
        put(&b, "<|im_start|>");
        put(&b, m->role);
        put(&b, "\n");
        put(&b, m->content);
        put(&b, "<|im_end|>\n");
    }
    if (add_generation_prompt)
        put(&b, "<|im_start|>assistant\n");
    return b.p;
}

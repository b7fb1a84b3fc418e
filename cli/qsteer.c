/* qsteer.c - entry point: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"generate", qs_cmd_generate, "generate text from a prompt (optionally steered)"},
    {"extract", qs_cmd_extract, "steering directions from contrastive sentence pairs"},
    {"activations", qs_cmd_activations, "dump residual-stream activations at chosen layers"},
    {"directions", qs_cmd_directions, "inspect or convert direction files (safetensors <-> llama.cpp GGUF)"},
    {"experiment", qs_cmd_experiment, "run a steering experiment grid: results.jsonl, summary.json, report.md"},
    {"bench", qs_cmd_bench, "speed: prompt and batched generation tok/s, load time, RSS, kernels, bandwidth"},
    {"tokenize", qs_cmd_tokenize, "text <-> token ids with a tokenizer.json, as JSON lines"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: qsteer <command> [options]\n\n"
               "qsteer runs Qwen2-architecture models (Hugging Face directories: config.json +\n"
               "safetensors + tokenizer.json) on the CPU, for activation-steering research.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n'qsteer <command> --help' explains each command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "qsteer: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

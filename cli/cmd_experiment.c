/* cmd_experiment.c - `qsteer experiment`: run a steering grid, write results and a report. */
#include <getopt.h>
#include <string.h>

#include "cli_model.h"
#include "experiment.h"
#include "kernels.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: qsteer experiment --model DIR --config EXP.json --out DIR [options]\n"
            "       qsteer experiment --report-only --out DIR\n\n"
            "Runs the grid declared in EXP.json (concepts x conditions x prompts x samples; see\n"
            "eval/configs/ and eval/README.md), sharing baseline generations across conditions and\n"
            "batching generations. Every generation is appended to OUT/results.jsonl as it finishes; a\n"
            "rerun skips what is done. Then OUT/summary.json, OUT/report.md and SVG plots are written.\n\n"
            "  --model DIR      Hugging Face model directory (with tokenizer.json)\n"
            "  --config FILE    experiment config (JSON; relative paths inside resolve against its folder)\n"
            "  --out DIR        output folder (created; reused to resume)\n"
            "  --batch N        sequences decoded together (default: the config's batch)\n"
            "  --threads N      compute threads (default: all cores)\n"
            "  --report-only    rebuild summary.json, report.md and plots from OUT/results.jsonl\n");
}

int qs_cmd_experiment(int argc, char **argv) {
    const char *CMD = "experiment";
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"config", required_argument, 0, 'c'},
                                         {"out", required_argument, 0, 'o'}, {"batch", required_argument, 0, 'b'},
                                         {"threads", required_argument, 0, 't'}, {"report-only", no_argument, 0, 'r'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *config = NULL, *out = NULL;
    long batch = 0, threads = 0;
    int report_only = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'c': config = optarg; break;
        case 'o': out = optarg; break;
        case 'r': report_only = 1; break;
        case 'b':
            if (cli_int_opt(CMD, "--batch", optarg, 1, 256, &batch)) return 2;
            break;
        case 't':
            if (cli_int_opt(CMD, "--threads", optarg, 1, 1024, &threads)) return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) return cli_error(CMD, "unexpected argument '%s' (see --help)", argv[optind]);
    if (!out) return cli_error(CMD, "--out DIR is required (see --help)");
    if (report_only) {
        if (qs_experiment_report(out) != QS_OK) return cli_lib_error(CMD);
        printf("{\"out\": \"%s\", \"summary\": \"%s/summary.json\", \"report\": \"%s/report.md\"}\n", out, out, out);
        return 0;
    }
    if (!model || !config) return cli_error(CMD, "--model and --config are required (see --help)");
    qs_kernels_init(~0u);
    cli_model m;
    if (cli_model_open(&m, CMD, model, 1)) return 1;
    qs_experiment_opts o = {.threads = (int)threads, .batch = (int)batch};
    qs_status st = qs_experiment_run(config, &m.w, m.tok, out, &o);
    cli_model_close(&m);
    if (st != QS_OK) return cli_lib_error(CMD);
    printf("{\"out\": \"%s\", \"results\": \"%s/results.jsonl\", \"summary\": \"%s/summary.json\", \"report\": \"%s/report.md\"}\n", out, out, out, out);
    return 0;
}

/*
 * cli.h - the qsteer command line: subcommands and small shared helpers.
 * Only code under cli/ prints to the terminal or exits.
 */
#ifndef QS_CLI_H
#define QS_CLI_H

#include <stdint.h>

#include "qs_common.h"

int qs_cmd_generate(int argc, char **argv);
int qs_cmd_tokenize(int argc, char **argv);
int qs_cmd_extract(int argc, char **argv);
int qs_cmd_activations(int argc, char **argv);
int qs_cmd_directions(int argc, char **argv);
int qs_cmd_experiment(int argc, char **argv);
int qs_cmd_bench(int argc, char **argv);

/* Print "qsteer <cmd>: <message>" (printf format) to stderr; returns 2 (usage) or 1. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "qsteer <cmd>: <qs_last_error()>" and return 1. */
int cli_lib_error(const char *cmd);

/* Strict number parsing of option values; return 0 on success. */
int cli_parse_int(const char *s, long lo, long hi, long *out);
int cli_parse_float(const char *s, double *out);
/* An integer option value in [lo, hi]; prints "qsteer CMD: OPT: expected an integer in [lo, hi], got 'VAL'"
 * and returns non-zero when it is not. */
int cli_int_opt(const char *cmd, const char *opt, const char *val, long lo, long hi, long *out);
/* "1,2,3" -> malloc'd int32 array. Returns 0 on success. */
int cli_parse_ids(const char *s, int32_t **ids, int *n);

#endif

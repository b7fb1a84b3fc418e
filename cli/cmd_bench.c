/* cmd_bench.c - `qsteer bench`: engine benchmarks (see bench/bench_engine.c). */
#include "bench_engine.h"
#include "cli.h"

int qs_cmd_bench(int argc, char **argv) { return qs_bench_run(argc, argv); }

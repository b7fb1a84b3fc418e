/* bench_main.c - the standalone bench_engine binary (same as `qsteer bench`). */
#include "bench_engine.h"

int main(int argc, char **argv) { return qs_bench_run(argc, argv); }

/* bench_engine.h - `qsteer bench` / bench_engine: see bench_engine.c. */
#ifndef QS_BENCH_ENGINE_H
#define QS_BENCH_ENGINE_H

/* Run the benchmarks with command-line arguments (argv[0] is the command name).
 * Prints to stdout; returns a process exit code. */
int qs_bench_run(int argc, char **argv);

#endif

// Package proctest runs the helper processes of end-to-end tests and
// benchmarks (daemons, registries, clients): each in a process group of its
// own that dies with the caller, its output in a log file, with readiness
// waits that end as soon as it dies, and a stop that cannot leave it behind.
//
// It takes no *testing.T, so a normal program (bench/cmd/benchrun) can use
// it as well as a test; callers turn its errors into test failures.
package proctest

//go:build !unix

package policies

// processCPU is not measured here: the benchmarks report 0 and no
// CPU-time ratio.
func processCPU() int64 { return 0 }

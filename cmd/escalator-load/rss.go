package main

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process and machine readings: peak RSS, CPU time, load average.

// peakRSS is the process's peak resident set size in bytes: VmHWM from
// /proc/self/status, or where there is none (not Linux) the memory the Go
// runtime obtained from the OS, which is an upper bound of the Go heap's
// share only. The process includes the embedded nats-server, if any.
func peakRSS() (bytes uint64, source string) {
	if b, ok := vmHWM("/proc/self/status"); ok {
		return b, "VmHWM"
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys, "runtime.MemStats.Sys"
}

func vmHWM(path string) (uint64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest) // "123456 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}

// cpuTime is the CPU time (user + system) the whole process has used,
// embedded nats-server included; zero where getrusage is unavailable.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAvg is the machine's one-minute load average (0 if unknown): on a
// shared machine, wall-clock rates mean little without it.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

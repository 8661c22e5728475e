package conntrack

// CPUStats are one CPU's conntrack counters, as `conntrack -S` prints them.
type CPUStats struct {
	CPU           int
	Found         uint64
	Invalid       uint64
	Insert        uint64
	InsertFailed  uint64
	Drop          uint64
	EarlyDrop     uint64
	Error         uint64
	SearchRestart uint64
	ClashResolve  uint64
	ChainTooLong  uint64
}

// GlobalStats are the namespace's entry count and the kernel-wide limit.
type GlobalStats struct {
	Count, Max int64
}

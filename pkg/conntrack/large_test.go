//go:build lab

package conntrack

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// TestDumpOfALargeTable dumps a table of 250,000 UDP entries (nearly
// nf_conntrack_max on a lab host) completely. Reading it may take longer
// than one request's answer timeout on a loaded machine; the dump's limit
// grows with the table.
func TestDumpOfALargeTable(t *testing.T) {
	const perAddr, addrs = 50000, 5
	ns := netnstest.New(t, "drill-dumplarge", true)
	var n int
	err := netns.Do(netns.Path(ns), func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_UDP)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		hdr := make([]byte, 8)
		for a := range addrs {
			to := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, byte(1 + a)}}
			for i := range perAddr {
				binary.BigEndian.PutUint16(hdr[0:], uint16(10000+i)) // source port
				binary.BigEndian.PutUint16(hdr[2:], 9)               // destination port
				binary.BigEndian.PutUint16(hdr[4:], 8)               // length; checksum 0: none
				if err := unix.Sendto(fd, hdr, 0, to); err != nil {
					return err
				}
			}
		}
		start := time.Now()
		entries, err := Dump()
		n = len(entries)
		t.Logf("dumped %d entries in %s", n, time.Since(start))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < perAddr*addrs {
		t.Fatalf("dumped %d entries, want at least %d", n, perAddr*addrs)
	}
}

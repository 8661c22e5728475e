package kubelet

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
)

// ipam hands out pod addresses from the node's pod CIDR. The network address,
// the first host address (.1, reserved for the node) and the broadcast
// address are never handed out.
type ipam struct {
	mu    sync.Mutex
	base  uint32
	size  uint32
	next  uint32
	inUse map[uint32]string // offset -> pod UID
}

// newIPAM returns an allocator for cidr (IPv4).
func newIPAM(cidr string) (*ipam, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil || n.IP.To4() == nil {
		return nil, fmt.Errorf("pod CIDR %q is not an IPv4 CIDR", cidr)
	}
	ones, bits := n.Mask.Size()
	if bits-ones < 2 {
		return nil, fmt.Errorf("pod CIDR %q is too small: use a /30 or larger", cidr)
	}
	return &ipam{
		base:  binary.BigEndian.Uint32(n.IP.To4()),
		size:  1 << uint(bits-ones),
		next:  2,
		inUse: map[uint32]string{},
	}, nil
}

// Allocate returns a free address for owner, or the one owner already has.
func (a *ipam) Allocate(owner string) (net.IP, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for off, o := range a.inUse {
		if o == owner {
			return a.ip(off), nil
		}
	}
	usable := a.size - 3
	for i := uint32(0); i < usable; i++ {
		off := 2 + (a.next-2+i)%usable
		if _, taken := a.inUse[off]; !taken {
			a.inUse[off] = owner
			a.next = 2 + (off-2+1)%usable
			return a.ip(off), nil
		}
	}
	return nil, fmt.Errorf("pod CIDR exhausted: all %d addresses are in use; delete pods or give the node a larger pod CIDR", usable)
}

// Reserve marks ip as owned by owner (used when adopting pods); an address
// outside the range or owned by someone else is an error.
func (a *ipam) Reserve(ip net.IP, owner string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	off, ok := a.offset(ip)
	if !ok {
		return fmt.Errorf("address %s is not a pod address of this node", ip)
	}
	if o, taken := a.inUse[off]; taken && o != owner {
		return fmt.Errorf("address %s is already used by pod %s", ip, o)
	}
	a.inUse[off] = owner
	return nil
}

// Release frees every address owned by owner.
func (a *ipam) Release(owner string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for off, o := range a.inUse {
		if o == owner {
			delete(a.inUse, off)
		}
	}
}

func (a *ipam) ip(off uint32) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, a.base+off)
	return ip
}

func (a *ipam) offset(ip net.IP) (uint32, bool) {
	v4 := ip.To4()
	if v4 == nil {
		return 0, false
	}
	v := binary.BigEndian.Uint32(v4)
	if v < a.base+2 || v >= a.base+a.size-1 {
		return 0, false
	}
	return v - a.base, true
}

package vpccni

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
)

// Config is the plugin's network configuration: the CNI fields every plugin
// has (the ipam section names the IPAM plugin to delegate to) and the host
// veth name prefix and MTU, named as the VPC CNI's own configuration names
// them.
type Config struct {
	types.NetConf
	// VethPrefix starts every host-side veth's name ("eni" by default).
	VethPrefix string `json:"vethPrefix,omitempty"`
	// MTU of both veth ends; 0 leaves the kernel's default.
	MTU int `json:"mtu,omitempty"`
	// Prev is the result CHECK compares the links with.
	Prev *current.Result `json:"-"`
}

// PluginName is the plugin's executable name: a network configuration's
// type, and the name drill runs as the plugin under.
const PluginName = "drill-vpc-cni"

// DefaultVethPrefix is the VPC CNI's prefix of host-side veth names.
const DefaultVethPrefix = "eni"

// supportedVersions are the CNI spec versions the plugin speaks.
var supportedVersions = []string{"1.0.0"}

var vethPrefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,3}$`)

// ParseConfig reads a network configuration from the plugin's stdin and
// reports every problem in it at once.
func ParseConfig(stdin []byte) (*Config, error) {
	c := &Config{}
	if err := json.Unmarshal(stdin, c); err != nil {
		return nil, fmt.Errorf("network configuration: %w", err)
	}
	var errs []error
	if !slices.Contains(supportedVersions, c.CNIVersion) {
		errs = append(errs, fmt.Errorf("cniVersion %q: want one of %v", c.CNIVersion, supportedVersions))
	}
	if c.Name == "" {
		errs = append(errs, errors.New("name: missing"))
	}
	if c.IPAM.Type == "" {
		errs = append(errs, errors.New("ipam.type: missing (the IPAM plugin that allocates the pod's address, e.g. host-local)"))
	}
	if c.VethPrefix == "" {
		c.VethPrefix = DefaultVethPrefix
	} else if !vethPrefixRE.MatchString(c.VethPrefix) {
		errs = append(errs, fmt.Errorf("vethPrefix %q: want 1 to 4 lowercase letters or digits, starting with a letter", c.VethPrefix))
	}
	if c.MTU != 0 && (c.MTU < 68 || c.MTU > 65535) {
		errs = append(errs, fmt.Errorf("mtu %d: want 68 to 65535, or 0 for the kernel's default", c.MTU))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("network configuration: %w", errors.Join(errs...))
	}
	if c.RawPrevResult != nil {
		if err := version.ParsePrevResult(&c.NetConf); err != nil {
			return nil, fmt.Errorf("network configuration: prevResult: %w", err)
		}
		prev, err := current.NewResultFromResult(c.PrevResult)
		if err != nil {
			return nil, fmt.Errorf("network configuration: prevResult: %w", err)
		}
		c.Prev = prev
	}
	return c, nil
}

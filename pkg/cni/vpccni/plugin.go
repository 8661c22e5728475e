//go:build linux

package vpccni

import (
	"context"
	"errors"
	"fmt"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
)

// Main runs the plugin on the CNI protocol (CNI_* environment, the
// configuration on stdin, the result or error as JSON on stdout) and
// returns the exit code.
func Main(ctx context.Context, about string) int {
	p := plugin{ctx: ctx}
	add := func(args *skel.CmdArgs) error {
		r, err := p.add(args)
		if err != nil {
			return err
		}
		return types.PrintResult(r, r.CNIVersion)
	}
	funcs := skel.CNIFuncs{Add: add, Del: p.del, Check: p.check}
	if err := skel.PluginMainFuncsWithError(funcs, version.PluginSupports(supportedVersions...), about); err != nil {
		if perr := err.Print(); perr != nil {
			return 2
		}
		return 1
	}
	return 0
}

// plugin runs the commands with the CNI_* variables of args and of the
// environment (the IPAM plugin gets the latter).
type plugin struct {
	ctx context.Context
	// hostNetns is the node's network namespace; empty: the process's.
	hostNetns string
}

func configError(err error) error {
	return types.NewError(types.ErrInvalidNetworkConfig, err.Error(), "")
}

func (p plugin) add(args *skel.CmdArgs) (*current.Result, error) {
	c, err := ParseConfig(args.StdinData)
	if err != nil {
		return nil, configError(err)
	}
	if args.Netns == "" {
		return nil, types.NewError(types.ErrInvalidEnvironmentVariables, "CNI_NETNS is empty", "")
	}
	hh, closeHost, err := hostHandle(p.hostNetns)
	if err != nil {
		return nil, err
	}
	defer closeHost()
	r, err := invoke.DelegateAdd(p.ctx, c.IPAM.Type, args.StdinData, nil)
	if err != nil {
		return nil, fmt.Errorf("IPAM %s: %w", c.IPAM.Type, err)
	}
	release := func(err error) error {
		if derr := invoke.DelegateDel(p.ctx, c.IPAM.Type, args.StdinData, nil); derr != nil {
			return errors.Join(err, fmt.Errorf("release the address (IPAM %s): %w", c.IPAM.Type, derr))
		}
		return err
	}
	podIP, err := PodAddress(r)
	if err != nil {
		return nil, release(err)
	}
	host, cont, err := setUp(hh, c, args.Netns, args.IfName, HostVethName(c.VethPrefix, args.ContainerID, args.IfName), podIP)
	if err != nil {
		return nil, release(err)
	}
	res, err := BuildResult(c, podIP, host, cont)
	if err != nil {
		return nil, release(errors.Join(err, tearDown(hh, args.Netns, args.IfName, host.Name)))
	}
	return res, nil
}

func (p plugin) del(args *skel.CmdArgs) error {
	c, err := ParseConfig(args.StdinData)
	if err != nil {
		return configError(err)
	}
	hh, closeHost, err := hostHandle(p.hostNetns)
	if err != nil {
		return err
	}
	defer closeHost()
	if err := invoke.DelegateDel(p.ctx, c.IPAM.Type, args.StdinData, nil); err != nil {
		return fmt.Errorf("IPAM %s: %w", c.IPAM.Type, err)
	}
	return tearDown(hh, args.Netns, args.IfName, HostVethName(c.VethPrefix, args.ContainerID, args.IfName))
}

func (p plugin) check(args *skel.CmdArgs) error {
	c, err := ParseConfig(args.StdinData)
	if err != nil {
		return configError(err)
	}
	if c.Prev == nil {
		return configError(errors.New("network configuration: CHECK needs prevResult"))
	}
	a, err := AttachmentOf(c.Prev, args.IfName, args.Netns)
	if err != nil {
		return configError(err)
	}
	if err := invoke.DelegateCheck(p.ctx, c.IPAM.Type, args.StdinData, nil); err != nil {
		return fmt.Errorf("IPAM %s: %w", c.IPAM.Type, err)
	}
	hh, closeHost, err := hostHandle(p.hostNetns)
	if err != nil {
		return err
	}
	defer closeHost()
	return check(hh, args.Netns, a)
}

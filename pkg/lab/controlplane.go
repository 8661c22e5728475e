package lab

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Names of the lab's credential files and processes.
const (
	procEtcd      = "etcd"
	procAPIServer = "kube-apiserver"
	procKCM       = "kube-controller-manager"
	procScheduler = "kube-scheduler"
	procRelay     = "relay"
)

// writePKI generates the lab CA, the API server's serving certificate, the
// service-account key pair and one kubeconfig per component (mode 0600).
// The host kubeconfig is written later, once the relay's port is known.
func writePKI(p Plan) error {
	ca, err := newPKI(p.Name)
	if err != nil {
		return err
	}
	caKey, err := ca.keyPEM()
	if err != nil {
		return err
	}
	ips := []net.IP{net.ParseIP(p.APIAddr), net.ParseIP(p.ServiceIP), net.ParseIP("127.0.0.1")}
	dns := []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"}
	serving, err := ca.serving("kube-apiserver", dns, ips)
	if err != nil {
		return err
	}
	saPriv, saPub, err := keyPair()
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.crt":        ca.caPEM,
		"ca.key":        caKey,
		"apiserver.crt": serving.CertPEM,
		"apiserver.key": serving.KeyPEM,
		"sa.key":        saPriv,
		"sa.pub":        saPub,
	}
	if err := addKubeletPKI(p, ca, files); err != nil {
		return err
	}
	for name, data := range files {
		if err := writeSecret(p.path("pki", name), data); err != nil {
			return err
		}
	}
	type kc struct {
		file, user string
		groups     []string
	}
	kcs := []kc{
		{"admin.lab.kubeconfig", "drill-lab-admin", []string{"system:masters"}},
		{"admin.host.credential", "drill-lab-admin", []string{"system:masters"}},
		{procKCM + ".kubeconfig", "system:kube-controller-manager", nil},
		{procScheduler + ".kubeconfig", "system:kube-scheduler", nil},
		{"kube-proxy.kubeconfig", "system:kube-proxy", nil},
	}
	for _, n := range p.Nodes {
		kcs = append(kcs, kc{"kubelet-" + n.Name + ".kubeconfig", "system:node:" + n.Name, []string{"system:nodes"}})
	}
	for _, k := range kcs {
		cred, err := ca.client(k.user, k.groups...)
		if err != nil {
			return err
		}
		if err := writeKubeconfig(p.path(k.file), p.APIServerURL(), ca.caPEM, cred); err != nil {
			return err
		}
	}
	return nil
}

// addKubeletPKI adds what the upstream kubelets' API needs: the API
// server's client certificate for calling kubelets, and each kubelet's
// serving certificate for its node IP (written into the node's directory).
func addKubeletPKI(p Plan, ca *pki, files map[string][]byte) error {
	client, err := ca.client(kubeletClientUser)
	if err != nil {
		return err
	}
	files["apiserver-kubelet-client.crt"], files["apiserver-kubelet-client.key"] = client.CertPEM, client.KeyPEM
	for _, n := range p.Nodes {
		serving, err := ca.serving("system:node:"+n.Name, []string{n.Name}, []net.IP{net.ParseIP(n.IP)})
		if err != nil {
			return err
		}
		dir := p.nodeDir(n, "kubelet-pki")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		if err := writeSecret(filepath.Join(dir, "kubelet.crt"), serving.CertPEM); err != nil {
			return err
		}
		if err := writeSecret(filepath.Join(dir, "kubelet.key"), serving.KeyPEM); err != nil {
			return err
		}
	}
	return nil
}

// writeKubeconfig writes a kubeconfig with embedded certificates, mode 0600.
func writeKubeconfig(path, server string, caPEM []byte, cred credential) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["lab"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos["lab"] = &clientcmdapi.AuthInfo{ClientCertificateData: cred.CertPEM, ClientKeyData: cred.KeyPEM}
	cfg.Contexts["lab"] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: "lab"}
	cfg.CurrentContext = "lab"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

// writeHostKubeconfig writes the host's admin kubeconfig pointing at the
// loopback relay.
func writeHostKubeconfig(p Plan, relayAddr string) error {
	src, err := clientcmd.LoadFromFile(p.path("admin.host.credential"))
	if err != nil {
		return fmt.Errorf("read admin credential: %w", err)
	}
	ai := src.AuthInfos["lab"]
	cl := src.Clusters["lab"]
	if ai == nil || cl == nil {
		return fmt.Errorf("admin credential %s is incomplete: run `drill lab down` and `drill lab up` again", p.path("admin.host.credential"))
	}
	ctxName := "drill-" + p.Name
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ctxName] = &clientcmdapi.Cluster{Server: "https://" + relayAddr, CertificateAuthorityData: cl.CertificateAuthorityData}
	cfg.AuthInfos[ctxName] = &clientcmdapi.AuthInfo{ClientCertificateData: ai.ClientCertificateData, ClientKeyData: ai.ClientKeyData}
	cfg.Contexts[ctxName] = &clientcmdapi.Context{Cluster: ctxName, AuthInfo: ctxName}
	cfg.CurrentContext = ctxName
	path := p.path("kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

// controlPlaneSpecs are the control-plane processes, all in the
// control-plane namespace. etcd listens on that namespace's loopback only.
func controlPlaneSpecs(p Plan) []procSpec {
	pki := func(f string) string { return p.path("pki", f) }
	etcd := procSpec{Name: procEtcd, Netns: p.CPNetns, Path: p.KubeBinary, Args: []string{
		"etcd",
		"--name", "cp",
		"--data-dir", p.path("etcd"),
		"--listen-client-urls", "http://127.0.0.1:2379",
		"--advertise-client-urls", "http://127.0.0.1:2379",
		"--listen-peer-urls", "http://127.0.0.1:2380",
		"--initial-advertise-peer-urls", "http://127.0.0.1:2380",
		"--initial-cluster", "cp=http://127.0.0.1:2380",
		"--listen-metrics-urls", "http://127.0.0.1:2381",
		"--unsafe-no-fsync",
		"--log-level", "warn",
	}}
	api := procSpec{Name: procAPIServer, Netns: p.CPNetns, Path: p.KubeBinary, Args: []string{
		"kube-apiserver",
		"--etcd-servers", "http://127.0.0.1:2379",
		"--advertise-address", p.APIAddr,
		"--bind-address", "0.0.0.0",
		"--secure-port", strconv.Itoa(p.APIPort),
		"--tls-cert-file", pki("apiserver.crt"),
		"--tls-private-key-file", pki("apiserver.key"),
		"--client-ca-file", pki("ca.crt"),
		"--service-account-key-file", pki("sa.pub"),
		"--service-account-signing-key-file", pki("sa.key"),
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range", p.ServiceCIDR,
		"--authorization-mode", "Node,RBAC",
		// The kubelets serve logs on <node IP>:10250; node host names do
		// not resolve.
		"--kubelet-preferred-address-types", "InternalIP",
		"--allow-privileged=true",
		"--cert-dir", p.path("pki", "apiserver-generated"),
		"--profiling=false",
		"--v", "1",
		// The kubelets' API authenticates the API server by this client
		// certificate and is verified against the lab CA.
		"--kubelet-client-certificate", pki("apiserver-kubelet-client.crt"),
		"--kubelet-client-key", pki("apiserver-kubelet-client.key"),
		"--kubelet-certificate-authority", pki("ca.crt"),
	}}
	kcm := procSpec{Name: procKCM, Netns: p.CPNetns, Path: p.KubeBinary, Args: []string{
		"kube-controller-manager",
		"--kubeconfig", p.path(procKCM + ".kubeconfig"),
		"--leader-elect=false",
		"--secure-port", "0",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file", pki("sa.key"),
		"--root-ca-file", pki("ca.crt"),
		"--cluster-signing-cert-file", pki("ca.crt"),
		"--cluster-signing-key-file", pki("ca.key"),
		"--service-cluster-ip-range", p.ServiceCIDR,
		"--cluster-cidr", p.PodCIDR,
		"--allocate-node-cidrs=false",
		"--profiling=false",
		"--v", "1",
	}}
	sched := procSpec{Name: procScheduler, Netns: p.CPNetns, Path: p.KubeBinary, Args: []string{
		"kube-scheduler",
		"--kubeconfig", p.path(procScheduler + ".kubeconfig"),
		"--leader-elect=false",
		"--secure-port", "0",
		"--profiling=false",
		"--v", "1",
	}}
	return []procSpec{etcd, api, kcm, sched}
}

// relaySpec is the loopback relay process in the host namespace.
func relaySpec(p Plan) procSpec {
	listen := p.RelayAddr
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	return procSpec{Name: procRelay, Path: p.DrillBinary, Args: []string{
		"lab", "relay",
		"--listen", listen,
		"--addr-file", p.path("relay.addr"),
		"--netns", p.CPNetns,
		"--target", net.JoinHostPort(p.APIAddr, strconv.Itoa(p.APIPort)),
	}}
}

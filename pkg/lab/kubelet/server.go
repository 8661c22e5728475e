package kubelet

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ServerPort is the port of the lab kubelet's HTTPS server (the kubelet's
// usual 10250), bound to the node IP inside the node namespace.
const ServerPort = 10250

// serveAPI runs the kubelet's HTTPS server until ctx ends: /healthz and
// /containerLogs/<namespace>/<pod>/<container>, which the API server proxies
// `kubectl logs` to. Only allowFrom (the API server's address; empty allows
// the whole lab) may connect.
func (k *kubelet) serveAPI(ctx context.Context, allowFrom string) error {
	cert, err := selfSignedCert(k.cfg.NodeName, k.cfg.NodeIP)
	if err != nil {
		return fmt.Errorf("kubelet server certificate: %w", err)
	}
	var l net.Listener
	addr := net.JoinHostPort(k.cfg.NodeIP, strconv.Itoa(ServerPort))
	if err := inNetns(k.cfg.NodeNetns, func() (err error) { l, err = net.Listen("tcp", addr); return err }); err != nil {
		return fmt.Errorf("kubelet server: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", k.handleLogs)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			if allowFrom != "" && host != allowFrom {
				http.Error(w, "forbidden: only the lab API server may use the lab kubelet's server", http.StatusForbidden)
				return
			}
			mux.ServeHTTP(w, r)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("kubelet server: %w", err)
	}
	return nil
}

// selfSignedCert makes the server's certificate for the node name and IP.
func selfSignedCert(name, ip string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name + "@drill-lab-kubelet"},
		DNSNames:     []string{name},
		IPAddresses:  []net.IP{net.ParseIP(ip)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// logFiles returns the log files of a container of the newest pod named
// ns/pod on this node, oldest run first.
func (k *kubelet) logFiles(ns, pod, container string) []string {
	dirs, _ := filepath.Glob(filepath.Join(k.cfg.StateDir, "pods", ns+"_"+pod+"_*"))
	var newest string
	var newestMod time.Time
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.ModTime().After(newestMod) {
			newest, newestMod = d, st.ModTime()
		}
	}
	if newest == "" {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(newest, container, "*.log"))
	num := func(f string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(f), ".log"))
		return n
	}
	sort.Slice(files, func(i, j int) bool { return num(files[i]) < num(files[j]) })
	return files
}

// containerRunning reports whether the container of pod ns/name runs now.
func (k *kubelet) containerRunning(ns, name, container string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, w := range k.workers {
		pod, _ := w.latest()
		if pod.Namespace != ns || pod.Name != name {
			continue
		}
		w.mu.Lock()
		running := false
		for _, c := range w.ctrs {
			if c.name == container && c.proc != nil {
				running = true
			}
		}
		w.mu.Unlock()
		if running {
			return true
		}
	}
	return false
}

// handleLogs serves a container's log as the kubelet does for `kubectl
// logs`: query parameters previous, tailLines, limitBytes and follow are
// honoured (timestamps and since* are not: the lab keeps raw output).
func (k *kubelet) handleLogs(w http.ResponseWriter, r *http.Request) {
	ns, pod, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	q := r.URL.Query()
	files := k.logFiles(ns, pod, container)
	previous := q.Get("previous") == "true"
	if previous {
		if len(files) < 2 {
			http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", container, pod), http.StatusBadRequest)
			return
		}
		files = files[:len(files)-1]
	}
	if len(files) == 0 {
		http.Error(w, fmt.Sprintf("container %q in pod %q has no log on this node", container, pod), http.StatusNotFound)
		return
	}
	path := files[len(files)-1]
	f, err := os.Open(path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	var limit int64 = -1
	if v, err := strconv.ParseInt(q.Get("limitBytes"), 10, 64); err == nil && v > 0 {
		limit = v
	}
	out := io.Writer(w)
	var lw *limitWriter
	if limit > 0 {
		lw = &limitWriter{w: w, left: limit}
		out = lw
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if n, err := strconv.Atoi(q.Get("tailLines")); err == nil && n >= 0 {
		if err := writeTail(out, f, n); err != nil {
			return
		}
	} else if _, err := io.Copy(out, f); err != nil {
		return
	}
	if q.Get("follow") != "true" || previous {
		return
	}
	flusher, _ := w.(http.Flusher)
	for {
		if flusher != nil {
			flusher.Flush()
		}
		if lw != nil && lw.left <= 0 {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
		n, err := io.Copy(out, f)
		if err != nil {
			return
		}
		newer := false
		if files := k.logFiles(ns, pod, container); len(files) > 0 && files[len(files)-1] != path {
			newer = true
		}
		if n == 0 && (newer || !k.containerRunning(ns, pod, container)) {
			// The run ended (or restarted into a new file): drain and stop.
			_, _ = io.Copy(out, f)
			return
		}
	}
}

// writeTail writes the last n lines of r.
func writeTail(w io.Writer, r io.Reader, n int) error {
	if n == 0 {
		return nil
	}
	ring := make([][]byte, 0, n)
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		line := append(bytes.Clone(s.Bytes()), '\n')
		if len(ring) == n {
			ring = append(ring[1:], line)
		} else {
			ring = append(ring, line)
		}
	}
	for _, l := range ring {
		if _, err := w.Write(l); err != nil {
			return err
		}
	}
	return nil
}

// limitWriter writes at most left more bytes, then fails.
type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, io.ErrShortWrite
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.w.Write(p)
	l.left -= int64(n)
	return n, err
}

package embedded

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Registry is an embedded Confluent-compatible Schema Registry (franz-go's
// srfake, in memory) served over HTTP on 127.0.0.1, for demos and tests.
// It does not check compatibility: such requests get a 501 answer saying
// so, rather than srfake's unconditional "compatible".
type Registry struct {
	fake *srfake.Registry
	srv  *http.Server
	addr string
}

// RegistryOptions configure an embedded registry.
type RegistryOptions struct {
	Port int // 0 picks a free port
	// Auth, when set, is the exact Authorization header every request
	// must carry ("Bearer TOKEN", "Basic base64(user:pass)").
	Auth string
}

// StartRegistry serves an embedded registry and returns once it listens.
func StartRegistry(opts RegistryOptions) (*Registry, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", opts.Port))
	if err != nil {
		return nil, fmt.Errorf("embedded schema registry: %w", err)
	}
	var fopts []srfake.Option
	if opts.Auth != "" {
		fopts = append(fopts, srfake.WithAuth(opts.Auth))
	}
	fake := srfake.NewRegistry(fopts...)
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/compatibility/") {
			return false
		}
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		w.WriteHeader(http.StatusNotImplemented)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"error_code": 50101,
			"message":    "the embedded registry does not check compatibility",
		})
		return true
	})
	srv := &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 10 * time.Second}
	// Serve returns http.ErrServerClosed once Close is called.
	go func() { _ = srv.Serve(ln) }()
	return &Registry{fake: fake, srv: srv, addr: ln.Addr().String()}, nil
}

// URL is the registry's base URL (http://127.0.0.1:PORT).
func (r *Registry) URL() string { return "http://" + r.addr }

// Fake exposes srfake for seeding and error injection in tests.
func (r *Registry) Fake() *srfake.Registry { return r.fake }

// Close stops serving.
func (r *Registry) Close() { _ = r.srv.Close() }
